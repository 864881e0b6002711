// The effective configuration as TOML, for `gatehouse check-config`: what the operator sees is
// what runs, with secrets masked so the output is safe to paste into a ticket.
#include "config/config.hpp"
#include "config/schema.hpp"
#include "config/text.hpp"
#include "config/units.hpp"

namespace gatehouse::config {
namespace {

// Facts derived from a setting that operators otherwise have to work out for themselves.
std::string note_for(const Setting& setting, const Config& config) {
  const std::string name = setting.name();
  if (name == "server.public_origin" && !config.server.public_origin.empty())
    return "redirect URI: " + config.server.redirect_uri();
  if (name == "session.cookie_name" && config.session.cookie_host_prefixed())
    return "\"__Host-\" prefix: the cookie is Secure, Path=/, with no Domain";
  if (name == "log.format" && config.log.format == LogFormat::automatic)
    return "text when stderr is a terminal, else JSON lines";
  if (name == "metrics.listen" && !config.metrics.own_listener())
    return config.admin.enabled() ? "no listener of its own; GET /metrics on admin.listen"
                                  : "no listener of its own (and no admin.token: no /metrics)";
  if (name == "server.threads" && config.server.threads == 0)
    return "one per core: " + std::to_string(config.server.io_threads()) + " here";
  const auto unused =
      "unused: session.store is \"" + std::string(to_string(config.session.store)) + "\"";
  if (name == "session.sqlite_path" && config.session.store != StoreKind::sqlite) return unused;
  if (name.starts_with("session.postgres_") && config.session.store != StoreKind::postgres)
    return unused;
  if (name.starts_with("session.redis_") && config.session.store != StoreKind::redis) return unused;
  return {};
}

std::string claims_table(const std::vector<ClaimRequirement>& claims) {
  std::string out = "{ ";
  for (std::size_t i = 0; i < claims.size(); ++i) {
    const auto& values = claims[i].any_of;
    out += (i ? ", " : "") + toml_key(claims[i].claim) + " = " +
           (values.size() == 1 ? toml_string(values[0]) : toml_string_array(values));
  }
  return out + " }";
}

// Every key, in the order the docs list them; unset optional ones as comments.
std::string route_table(const ApiRoute& route) {
  const auto duration = [](std::chrono::milliseconds d) { return toml_string(format_duration(d)); };
  std::string out = "[[api]]\n";
  out += "path = " + toml_string(route.path) + "\n";
  out += "upstream = " + toml_string(route.upstream) + "\n";
  out += "token = " + toml_string(to_string(route.token)) + "\n";
  out += route.scopes.empty() ? "# scopes is not set\n"
                              : "scopes = " + toml_string_array(route.scopes) + "\n";
  out += route.audience ? "audience = " + toml_string(*route.audience) + "\n"
                        : "# audience is not set\n";
  out += route.require_claims.empty()
             ? "# require_claims is not set\n"
             : "require_claims = " + claims_table(route.require_claims) + "\n";
  out += std::string("csrf = ") + (route.csrf ? "true" : "false") + "\n";
  out += std::string("websocket = ") + (route.websocket ? "true" : "false") + "\n";
  out += "connect_timeout = " + duration(route.connect_timeout) + "\n";
  out += "response_timeout = " + duration(route.response_timeout) + "\n";
  out += route.max_body ? "max_body = " + toml_string(format_size(*route.max_body)) + "\n"
                        : "# max_body is not set (server.max_body)\n";
  return out;
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
  // Arrays of tables after every section: a [[api]] header ends the section before it.
  if (config.api.empty()) out += "\n# no [[api]] routes\n";
  for (const auto& route : config.api) out += "\n" + route_table(route);
  return out;
}

}  // namespace gatehouse::config
