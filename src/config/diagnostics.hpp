// Collects problems while a config loads, remembering where each setting's value came from so
// a problem found late (in validation) still points at the file line or environment variable.
#pragma once

#include "config/config.hpp"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::config {

class Diagnostics {
 public:
  // The value of `setting` now comes from this file location or environment variable.
  void set_origin(const std::string& setting, std::string location, std::string env_var);
  bool is_set(const std::string& setting) const { return origins_.count(setting) != 0; }

  // A problem with a setting's value; later checks of that setting are skipped (one clear
  // error beats a cascade).
  void error(const std::string& setting, std::string message);
  void warning(const std::string& setting, std::string message);
  // A problem at a place that is not one setting (syntax error, unknown key, missing file).
  void error_at(std::string location, std::string message, std::string setting = {});
  void warning_at(std::string location, std::string message, std::string setting = {});

  // False once the setting had an error: its value is a default or half-parsed.
  bool usable(const std::string& setting) const { return rejected_.count(setting) == 0; }

  std::vector<Problem> take_errors() { return std::move(errors_); }
  std::vector<Problem> take_warnings() { return std::move(warnings_); }
  bool has_errors() const { return !errors_.empty(); }

 private:
  struct Origin {
    std::string location;
    std::string env_var;
  };
  Problem make(const std::string& setting, std::string message) const;

  std::map<std::string, Origin> origins_;
  std::set<std::string> rejected_;
  std::vector<Problem> errors_;
  std::vector<Problem> warnings_;
};

// Semantic checks over a fully assembled Config: URLs, ranges, cross-setting rules, files.
void validate(const Config& config, Diagnostics& diagnostics);

// The network-shaped part of validate(): listen address, origins and URLs.
void validate_network(const Config& config, Diagnostics& diagnostics);

// The `[[api]]` part of validate(): each route, and the routes against each other and the
// gateway's own endpoints. Problems name `api[N].key`.
void validate_api_routes(const Config& config, Diagnostics& diagnostics);

}  // namespace gatehouse::config
