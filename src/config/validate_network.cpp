// Addresses and URLs: server.listen, server.public_origin, oidc.authority, audit.webhook, and
// the cookie rules that depend on the origin's scheme.
#include "config/diagnostics.hpp"
#include "config/text.hpp"
#include "config/url_checks.hpp"
#include "url/strict_url.hpp"

#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace gatehouse::config {
namespace {

namespace urls = boost::urls;

bool is_lower(std::string_view text) {
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; });
}

// Returns the parsed origin when valid, so the cookie rules can look at its scheme and host.
std::optional<urls::url_view> check_public_origin(const std::string& origin, Diagnostics& d) {
  const std::string setting = "server.public_origin";
  if (!d.usable(setting)) return std::nullopt;
  const std::string got = ", got " + quote_for_message(origin);
  const auto parsed = gatehouse::url::parse(origin);
  if (!parsed || !is_http_scheme(*parsed) || !parsed->has_authority() ||
      parsed->encoded_host().empty()) {
    d.error(setting, "must be an origin like \"https://app.example.com\"" + got);
    return std::nullopt;
  }
  const auto& url = *parsed;
  std::string wrong;
  if (url.has_userinfo())
    wrong = "must not contain a user name or password";
  else if (url.has_port() && !valid_port(url.port()))
    wrong = "has an invalid port";
  else if (url.encoded_path() == "/")
    wrong = "must not end with \"/\" (the redirect URI appends \"/signin-oidc\")";
  else if (!url.encoded_path().empty() || url.has_query() || url.has_fragment())
    wrong = "must be an origin only: scheme, host and optional port, no path, query or fragment";
  else if (!is_lower(origin))
    wrong = "must be lower case, as browsers send it in the Origin header";
  else if (url.host_type() == urls::host_type::ipvfuture)
    wrong = "has an unsupported host";
  if (!wrong.empty()) {
    d.error(setting, wrong + got);
    return std::nullopt;
  }
  return url;
}

void check_authority(const std::string& authority, Diagnostics& d) {
  const std::string setting = "oidc.authority";
  if (!d.usable(setting)) return;
  const std::string got = ", got " + quote_for_message(authority);
  const auto parsed = gatehouse::url::parse(authority);
  if (!parsed || !is_http_scheme(*parsed) || !parsed->has_authority() ||
      parsed->encoded_host().empty()) {
    d.error(setting, "must be an absolute http(s) URL" + got);
    return;
  }
  const auto& url = *parsed;
  if (url.has_userinfo())
    d.error(setting, "must not contain a user name or password" + got);
  else if (url.has_port() && !valid_port(url.port()))
    d.error(setting, "has an invalid port" + got);
  else if (url.has_query() || url.has_fragment())
    d.error(setting, "must not have a query or fragment (an OpenID Connect issuer has none)" + got);
  else if (url.scheme_id() == urls::scheme::http && !is_loopback(url))
    d.error(setting, "must use https; http is allowed only for 127.0.0.1, ::1 and localhost" + got);
}

// "host:port" or "[v6]:port"; port 0 picks a free one (handy in tests).
// Returns the host when valid.
std::optional<std::string_view> check_listen(const std::string& listen, Diagnostics& d,
                                             const std::string& setting) {
  if (!d.usable(setting)) return std::nullopt;
  std::string_view host;
  std::string_view port;
  const std::string_view text = listen;
  bool ok = false;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close != std::string_view::npos && close + 1 < text.size() && text[close + 1] == ':') {
      host = text.substr(1, close - 1);
      port = text.substr(close + 2);
      ok = static_cast<bool>(urls::parse_ipv6_address(host));
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    ok = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
    });
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  ok = ok && !port.empty() && ec == std::errc{} && end == port.data() + port.size() &&
       value <= 65535;
  if (!ok) {
    d.error(setting,
            "must be host:port like \"127.0.0.1:8080\", \"0.0.0.0:8443\" or "
            "\"[::]:8080\", got " +
                quote_for_message(listen));
    return std::nullopt;
  }
  return host;
}

// The admin API can end every session: a token worth the name, and a warning when it listens
// beyond loopback (plain HTTP: the bearer token would cross the network in clear).
void check_admin(const AdminConfig& admin, Diagnostics& d) {
  const auto host = check_listen(admin.listen, d, "admin.listen");
  if (!admin.enabled()) return;
  if (d.usable("admin.token") && admin.token.size() < 32)
    d.error("admin.token", "must be at least 32 characters (e.g. `openssl rand -hex 32`), got " +
                               std::to_string(admin.token.size()));
  if (d.usable("admin.token") && std::any_of(admin.token.begin(), admin.token.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u >= 0x7f;
      }))
    d.error("admin.token", "must be visible ASCII without spaces (it travels in a header)");
  if (host && *host != "127.0.0.1" && *host != "::1" && *host != "localhost")
    d.warning("admin.listen",
              "is not a loopback address: the admin API speaks plain HTTP, so its bearer token "
              "crosses the network unencrypted");
}

// The audit webhook receives who signed in from where: https, or http that never leaves the
// machine; a queue that bounds memory but holds a burst.
void check_audit(const AuditConfig& audit, Diagnostics& d) {
  if (d.usable("audit.queue") && (audit.queue < 1 || audit.queue > 1'000'000))
    d.error("audit.queue", "must be from 1 to 1000000, got " + std::to_string(audit.queue));
  if (d.usable("audit.file") && audit.file && audit.file->filename().empty())
    d.error("audit.file", "must name a file, got " + quote_for_message(audit.file->string()));
  if (audit.webhook.empty() || !d.usable("audit.webhook")) return;
  // The URL is not repeated in messages: it may carry a credential.
  const std::string setting = "audit.webhook";
  const auto parsed = gatehouse::url::parse(audit.webhook);
  if (!parsed || !is_http_scheme(*parsed) || !parsed->has_authority() ||
      parsed->encoded_host().empty())
    d.error(setting, "must be an absolute http(s) URL");
  else if (parsed->has_userinfo())
    d.error(setting, "must not contain a user name or password");
  else if (parsed->has_port() && !valid_port(parsed->port()))
    d.error(setting, "has an invalid port");
  else if (parsed->has_fragment())
    d.error(setting, "must not have a fragment");
  else if (parsed->scheme_id() == urls::scheme::http && !is_loopback(*parsed))
    d.error(setting, "must use https; http is allowed only for 127.0.0.1, ::1 and localhost");
}

// The metrics listener has no auth: it must not take the address of a listener that has.
void check_metrics(const Config& c, Diagnostics& d) {
  const auto& listen = c.metrics.listen;
  if (!c.metrics.own_listener() || !check_listen(listen, d, "metrics.listen")) return;
  if (listen.ends_with(":0")) return;  // a free port each
  if (listen == c.server.listen)
    d.error("metrics.listen", "must differ from server.listen, got " + quote_for_message(listen));
  else if (c.admin.enabled() && listen == c.admin.listen)
    d.error("metrics.listen",
            "must differ from admin.listen (which already serves /metrics), got " +
                quote_for_message(listen));
}

// A Secure cookie (forced by the __Host-/__Secure- prefixes) is never stored by browsers for a
// plain-http origin other than localhost: login would loop forever.
void check_cookie_against_origin(const Config& c, const std::optional<urls::url_view>& origin,
                                 Diagnostics& d) {
  if (!origin || origin->scheme_id() != urls::scheme::http || is_loopback(*origin)) return;
  const auto& name = c.session.cookie_name;
  if (d.usable("session.cookie_name") &&
      (name.starts_with("__Host-") || name.starts_with("__Secure-")))
    d.error("session.cookie_name",
            quote_for_message(name) +
                " is a Secure-only cookie, which browsers refuse on the http:// origin " +
                quote_for_message(c.server.public_origin) +
                "; use https for server.public_origin or a cookie name without the prefix");
  else
    d.warning("server.public_origin",
              "uses plain http on a non-loopback host: the session cookie crosses the network "
              "unencrypted");
}

}  // namespace

void validate_network(const Config& config, Diagnostics& diagnostics) {
  check_listen(config.server.listen, diagnostics, "server.listen");
  check_admin(config.admin, diagnostics);
  check_audit(config.audit, diagnostics);
  check_metrics(config, diagnostics);
  const auto origin = check_public_origin(config.server.public_origin, diagnostics);
  check_cookie_against_origin(config, origin, diagnostics);
  check_authority(config.oidc.authority, diagnostics);
}

}  // namespace gatehouse::config
