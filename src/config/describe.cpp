// The effective configuration as TOML, for `gatehouse check-config`: what the operator sees is
// what runs, with secrets masked so the output is safe to paste into a ticket.
#include "config/config.hpp"
#include "config/schema.hpp"
#include "config/text.hpp"

namespace gatehouse::config {
namespace {

// Facts derived from a setting that operators otherwise have to work out for themselves.
std::string note_for(const Setting& setting, const Config& config) {
  const std::string name = setting.name();
  if (name == "server.public_origin" && !config.server.public_origin.empty())
    return "redirect URI: " + config.server.redirect_uri();
  if (name == "session.cookie_name" && config.session.cookie_host_prefixed())
    return "\"__Host-\" prefix: the cookie is Secure, Path=/, with no Domain";
  if (name == "session.sqlite_path" && config.session.store != StoreKind::sqlite)
    return "unused: session.store is \"" + std::string(to_string(config.session.store)) + "\"";
  return {};
}

}  // namespace

std::string describe(const Config& config) {
  std::string out;
  for (const auto section : all_sections()) {
    if (!out.empty()) out += '\n';
    out += "[" + std::string(section) + "]\n";
    for (const auto& setting : all_settings()) {
      if (setting.section != section) continue;
      const auto value = setting.render(config);
      if (!value || (setting.secret && *value == "\"\""))
        out += "# " + std::string(setting.key) + " is not set";
      else if (setting.secret)
        out += std::string(setting.key) + " = \"***\"";
      else
        out += std::string(setting.key) + " = " + *value;
      if (const auto note = note_for(setting, config); !note.empty()) out += "  # " + note;
      out += '\n';
    }
  }
  return out;
}

}  // namespace gatehouse::config
