// Rules that need more than one value's syntax: ranges, cross-setting rules, files on disk.
#include "config/diagnostics.hpp"
#include "config/file_reading.hpp"
#include "config/text.hpp"
#include "http/trusted_proxies.hpp"

#include <gatehouse/session/user_session_validation.hpp>

#include <algorithm>
#include <fstream>
#include <system_error>

namespace gatehouse::config {
namespace {

using std::chrono::milliseconds;

std::string duration_text(milliseconds d) {
  return "\"" + format_duration(d) + "\"";
}

void require_positive(Diagnostics& d, const std::string& setting, milliseconds value) {
  if (d.usable(setting) && value <= milliseconds::zero())
    d.error(setting, "must be longer than zero, got " + duration_text(value));
}

void require_not_empty(Diagnostics& d, const std::string& setting, std::string_view value) {
  if (d.usable(setting) && value.empty()) d.error(setting, "must not be empty");
}

// RFC 6265 cookie-name = token: visible ASCII except separators.
bool is_cookie_name(std::string_view name) {
  constexpr std::string_view separators = "()<>@,;:\\\"/[]?={} \t";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && separators.find(c) == std::string_view::npos;
  });
}

// PEM certificates and keys: read the way the config file is (never blocking on a FIFO, a loop
// named as such), so what fails here is what would fail at start-up.
void check_readable_file(Diagnostics& d, const std::string& setting,
                         const std::filesystem::path& path) {
  constexpr std::size_t max_pem_bytes = 1024 * 1024;
  const auto read = read_small_file(path, max_pem_bytes);
  if (read.text) return;
  const auto name = quote_for_message(path.string(), 200);
  d.error(setting, read.missing ? "file " + name + " does not exist" : name + " " + read.problem);
}

void validate_server(const ServerConfig& s, Diagnostics& d) {
  if (d.usable("server.tls_cert") && d.usable("server.tls_key")) {
    if (s.tls_cert.has_value() != s.tls_key.has_value()) {
      const bool cert = s.tls_cert.has_value();
      d.error(cert ? "server.tls_cert" : "server.tls_key",
              std::string("is set but ") + (cert ? "server.tls_key" : "server.tls_cert") +
                  " is not; set both to serve TLS, or neither");
    } else if (s.tls_cert) {
      check_readable_file(d, "server.tls_cert", *s.tls_cert);
      check_readable_file(d, "server.tls_key", *s.tls_key);
    }
  }
  if (d.usable("server.max_body") && s.max_body == 0)
    d.error("server.max_body", "must be larger than zero");
  require_positive(d, "server.read_timeout", s.read_timeout);
  require_positive(d, "server.idle_timeout", s.idle_timeout);
  if (d.usable("server.threads") && (s.threads < 0 || s.threads > 256))
    d.error("server.threads",
            "must be from 0 (one per core) to 256, got " + std::to_string(s.threads));
  if (d.usable("server.trusted_proxies")) {
    try {
      http::TrustedProxies proxies(s.trusted_proxies);
    } catch (const std::invalid_argument& e) {
      d.error("server.trusted_proxies", e.what());
    }
  }
}

void validate_oidc(const OidcConfig& o, Diagnostics& d) {
  require_not_empty(d, "oidc.client_id", o.client_id);
  require_not_empty(d, "oidc.client_secret", o.client_secret);
  if (d.usable("oidc.scopes")) {
    for (const auto& scope : o.scopes) {
      if (is_scope_token(scope)) continue;
      d.error("oidc.scopes", "has an invalid scope " + quote_for_message(scope) +
                                 " (one word per entry, no spaces or quotes)");
      break;
    }
    if (d.usable("oidc.scopes") &&
        std::find(o.scopes.begin(), o.scopes.end(), "openid") == o.scopes.end())
      d.error("oidc.scopes", "must contain \"openid\" (without it there is no ID token)");
  }
  if (d.usable("oidc.refresh_margin") && o.refresh_margin > std::chrono::hours{1})
    d.error("oidc.refresh_margin",
            "must be at most \"1h\", got " + duration_text(o.refresh_margin) +
                "; access tokens are refreshed this long before they expire");
  if (d.usable("oidc.clock_skew") && o.clock_skew > std::chrono::minutes{5})
    d.error("oidc.clock_skew",
            "must be at most \"5m\", got " + duration_text(o.clock_skew) +
                "; a larger skew accepts tokens long after they expire — fix the clocks instead");
}

// A PostgreSQL identifier gatehouse can put in SQL unquoted: lower case, at most 63 bytes.
bool sql_identifier(std::string_view name) {
  if (name.empty() || name.size() > 63 || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

void validate_postgres(const SessionConfig& s, Diagnostics& d) {
  require_not_empty(d, "session.postgres_url", s.postgres_url);
  if (d.usable("session.postgres_pool") && (s.postgres_pool < 1 || s.postgres_pool > 256))
    d.error("session.postgres_pool",
            "must be from 1 to 256, got " + std::to_string(s.postgres_pool));
  require_positive(d, "session.postgres_timeout", s.postgres_timeout);
  if (d.usable("session.postgres_schema") && !sql_identifier(s.postgres_schema))
    d.error("session.postgres_schema",
            "must be a lower-case SQL name (a-z, 0-9, _; not starting with a digit; at most 63 "
            "bytes), got " +
                quote_for_message(s.postgres_schema));
}

void validate_redis(const SessionConfig& s, Diagnostics& d) {
  require_not_empty(d, "session.redis_url", s.redis_url);
  if (d.usable("session.redis_url") && !s.redis_url.empty() &&
      !s.redis_url.starts_with("redis://") && !s.redis_url.starts_with("rediss://") &&
      !s.redis_url.starts_with("redis+cluster://"))
    // The URL may hold a password: the message never repeats it.
    d.error("session.redis_url", "must start with redis://, rediss:// or redis+cluster://");
  if (d.usable("session.redis_prefix") &&
      (s.redis_prefix.empty() || s.redis_prefix.size() > 64 ||
       s.redis_prefix.find_first_of("{} \t\r\n") != std::string::npos))
    d.error("session.redis_prefix",
            "must be 1 to 64 bytes without braces or spaces (braces would break the hash tags "
            "that keep a user's keys in one cluster slot), got " +
                quote_for_message(s.redis_prefix));
  require_positive(d, "session.redis_timeout", s.redis_timeout);
}

void validate_session(const SessionConfig& s, Diagnostics& d) {
  if (s.store == StoreKind::sqlite)
    require_not_empty(d, "session.sqlite_path", s.sqlite_path.string());
  if (s.store == StoreKind::postgres) validate_postgres(s, d);
  if (s.store == StoreKind::redis) validate_redis(s, d);
  if (d.usable("session.partition")) {
    if (s.partition.empty())
      d.error("session.partition", "must not be empty");
    else if (s.partition.size() > UserSessionLimits::max_partition_key)
      d.error("session.partition", "must be at most " +
                                       std::to_string(UserSessionLimits::max_partition_key) +
                                       " bytes, got " + std::to_string(s.partition.size()));
  }
  require_positive(d, "session.idle_timeout", s.idle_timeout);
  require_positive(d, "session.max_lifetime", s.max_lifetime);
  require_positive(d, "session.cleanup_interval", s.cleanup_interval);
  if (d.usable("session.max_lifetime") && d.usable("session.idle_timeout") &&
      s.max_lifetime < s.idle_timeout)
    d.error("session.max_lifetime", "must be at least session.idle_timeout (" +
                                        duration_text(s.idle_timeout) + "), got " +
                                        duration_text(s.max_lifetime));
  if (d.usable("session.renew_after") && d.usable("session.idle_timeout") &&
      s.renew_after >= s.idle_timeout)
    d.error("session.renew_after",
            "must be shorter than session.idle_timeout (" + duration_text(s.idle_timeout) +
                "), got " + duration_text(s.renew_after) +
                "; otherwise active sessions expire before they are renewed");
  if (d.usable("session.cleanup_batch") && (s.cleanup_batch < 1 || s.cleanup_batch > 100000))
    d.error("session.cleanup_batch",
            "must be between 1 and 100000, got " + std::to_string(s.cleanup_batch));
  if (d.usable("session.max_per_user") && (s.max_per_user < 0 || s.max_per_user > 10000))
    d.error("session.max_per_user",
            "must be between 0 (no limit) and 10000, got " + std::to_string(s.max_per_user));
  if (d.usable("session.cookie_name") && !is_cookie_name(s.cookie_name))
    d.error("session.cookie_name",
            "must be a cookie name (visible ASCII without spaces or ()<>@,;:\\\"/[]?={}), got " +
                quote_for_message(s.cookie_name));
}

void validate_paths(const Config& c, Diagnostics& d) {
  require_not_empty(d, "keys.path", c.keys.path.string());
  if (d.usable("frontend.static_dir") && c.frontend.static_dir) {
    std::error_code ec;
    const auto& dir = *c.frontend.static_dir;
    if (!std::filesystem::is_directory(dir, ec))
      d.error("frontend.static_dir",
              "must be an existing directory, got " + quote_for_message(dir.string(), 200));
  }
  const std::string& base = c.bff.base_path;
  if (!d.usable("bff.base_path")) return;
  const bool bad_char = std::any_of(base.begin(), base.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u <= 0x20 || u >= 0x7f || ch == '?' || ch == '#' || ch == '%' || ch == '\\';
  });
  if (!base.starts_with('/') || base.ends_with('/') || base.find("//") != std::string::npos ||
      bad_char)
    d.error("bff.base_path",
            "must be a path like \"/bff\": starting with \"/\", not ending with \"/\", without "
            "spaces, \"//\", \"?\", \"#\" or \"%\", got " +
                quote_for_message(base));
}

}  // namespace

void validate(const Config& config, Diagnostics& diagnostics) {
  validate_server(config.server, diagnostics);
  validate_network(config, diagnostics);
  validate_oidc(config.oidc, diagnostics);
  validate_session(config.session, diagnostics);
  validate_paths(config, diagnostics);
  validate_api_routes(config, diagnostics);  // after bff.base_path, which routes must not shadow
}

}  // namespace gatehouse::config
