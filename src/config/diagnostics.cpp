#include "config/diagnostics.hpp"

#include <utility>

namespace gatehouse::config {

std::string Problem::to_string() const {
  if (setting.empty()) return location.empty() ? message : location + ": " + message;
  std::string out = setting + ": " + message;
  if (!env_var.empty()) return out + " (from " + env_var + ")";
  if (!location.empty()) return out + " (at " + location + ")";
  return out;
}

void Diagnostics::set_origin(const std::string& setting, std::string location,
                             std::string env_var) {
  origins_[setting] = Origin{std::move(location), std::move(env_var)};
}

Problem Diagnostics::make(const std::string& setting, std::string message) const {
  Problem p{setting, std::move(message), {}, {}};
  if (const auto it = origins_.find(setting); it != origins_.end()) {
    p.location = it->second.location;
    p.env_var = it->second.env_var;
  }
  return p;
}

void Diagnostics::error(const std::string& setting, std::string message) {
  rejected_.insert(setting);
  errors_.push_back(make(setting, std::move(message)));
}

void Diagnostics::warning(const std::string& setting, std::string message) {
  warnings_.push_back(make(setting, std::move(message)));
}

void Diagnostics::error_at(std::string location, std::string message, std::string setting) {
  if (!setting.empty()) rejected_.insert(setting);
  errors_.push_back(Problem{std::move(setting), std::move(message), std::move(location), {}});
}

void Diagnostics::warning_at(std::string location, std::string message, std::string setting) {
  warnings_.push_back(Problem{std::move(setting), std::move(message), std::move(location), {}});
}

}  // namespace gatehouse::config
