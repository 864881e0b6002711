// `[[api]]` rules: each route's path, upstream and token settings, and the routes against each
// other and against the gateway's own endpoints. Runs after the environment overlay, since
// bff.base_path may come from there.
#include "config/api_routes.hpp"
#include "config/diagnostics.hpp"
#include "config/text.hpp"
#include "config/url_checks.hpp"
#include "url/strict_url.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

namespace gatehouse::config {
namespace {

namespace urls = boost::urls;
using std::chrono::milliseconds;

// RFC 3986 pchar without pct-encoded, plus "/": a request path can only match what it could
// spell without percent-encoding, and "?", "#", "%", spaces and controls never belong here.
bool is_path_char(char c) {
  constexpr std::string_view allowed = "/-._~!$&'()*+,;=:@";
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         allowed.find(c) != std::string_view::npos;
}

// Empty, ".", "..": each would be normalised, or refused, before a request ever matched.
std::string_view bad_segment_problem(std::string_view path) {
  for (std::size_t start = 1; start <= path.size();) {
    const auto end = std::min(path.find('/', start), path.size());
    const auto segment = path.substr(start, end - start);
    if (segment.empty()) return "must not have an empty segment (\"//\" or a trailing \"/\")";
    if (segment == "." || segment == "..") return "must not have a \".\" or \"..\" segment";
    start = end + 1;
  }
  return {};
}

// What is wrong with a route's path, "" when nothing.
std::string path_problem(std::string_view path) {
  constexpr auto max = ApiRouteLimits::max_path_bytes;
  if (path.size() > max)
    return "must be at most " + std::to_string(max) + " bytes, got " + std::to_string(path.size());
  std::string problem;
  if (!path.starts_with('/'))
    problem = "must start with \"/\"";
  else if (path == "/")
    problem = "must not be \"/\": a route for every path would shadow the gateway's own endpoints";
  else if (path.ends_with('/'))
    problem = "must not end with \"/\" (a route matches its path and everything below it)";
  else if (!std::all_of(path.begin(), path.end(), is_path_char))
    problem =
        "must contain only letters, digits and -._~!$&'()*+,;=:@/ (no \"?\", \"#\", \"%\", "
        "spaces, control characters or non-ASCII)";
  else
    problem = bad_segment_problem(path);
  return problem.empty() ? problem : problem + ", got " + quote_for_message(path);
}

// `inner` is `outer` or lies below it, on a segment boundary ("/bff/x" under "/bff", not "/bffx").
bool within(std::string_view inner, std::string_view outer) {
  return inner.starts_with(outer) && (inner.size() == outer.size() || inner[outer.size()] == '/');
}

// The route's path is valid: no other route may have it, and no gateway endpoint may be under
// it or above it.
void check_path_is_free(const Config& c, std::size_t index, Diagnostics& d) {
  const std::string setting = api_setting(index, "path");
  const std::string& path = c.api[index].path;
  for (std::size_t earlier = 0; earlier < index; ++earlier) {
    if (c.api[earlier].path != path || !d.usable(api_setting(earlier, "path"))) continue;
    d.error(setting, quote_for_message(path) + " is already the path of api[" +
                         std::to_string(earlier) + "]");
    return;
  }
  struct Endpoint {
    std::string_view path;
    std::string_view what;
  };
  std::vector<Endpoint> endpoints{{"/signin-oidc", "the OIDC redirect URI"},
                                  {"/healthz", "the health check"},
                                  {"/readyz", "the readiness check"}};
  if (d.usable("bff.base_path"))
    endpoints.insert(endpoints.begin(), {c.bff.base_path, "the BFF endpoints, bff.base_path"});
  for (const auto& e : endpoints) {
    if (!within(path, e.path) && !within(e.path, path)) continue;
    d.error(setting, quote_for_message(path) + " would shadow the gateway's own " +
                         quote_for_message(e.path) + " (" + std::string(e.what) + ")");
    return;
  }
}

std::string upstream_problem(const urls::url_view& url) {
  if (url.has_userinfo()) return "must not contain a user name or password";
  if (url.has_port() && !valid_port(url.port())) return "has an invalid port";
  if (url.host_type() == urls::host_type::ipvfuture) return "has an unsupported host";
  if (url.has_query()) return "must not have a query (the request's query is appended)";
  if (url.has_fragment()) return "must not have a fragment";
  const auto path = url.encoded_path();
  if (path.empty()) return {};
  return std::string(bad_segment_problem(std::string_view(path.data(), path.size())));
}

void check_upstream(const ApiRoute& route, std::size_t index, Diagnostics& d) {
  const std::string setting = api_setting(index, "upstream");
  if (!d.is_set(setting) || !d.usable(setting)) return;
  const std::string got = ", got " + quote_for_message(route.upstream);
  const auto parsed = gatehouse::url::parse(route.upstream);
  if (!parsed || !is_http_scheme(*parsed) || !parsed->has_authority() ||
      parsed->encoded_host().empty()) {
    d.error(setting, "must be an absolute http(s) URL" + got);
    return;
  }
  if (const auto problem = upstream_problem(*parsed); !problem.empty()) {
    d.error(setting, problem + got);
    return;
  }
  // Without a token nothing secret travels; the route's own data is the operator's call.
  if (parsed->scheme_id() == urls::scheme::http && !is_loopback(*parsed) &&
      route.token != TokenMode::none)
    d.warning(setting, "uses plain http to a host that is not loopback: the tokens of route " +
                           quote_for_message(route.path) +
                           " cross the network unencrypted; use https");
}

std::string token_is(TokenMode mode) {
  return "token = \"" + std::string(to_string(mode)) + "\"";
}

void check_token_settings(const ApiRoute& route, std::size_t index, Diagnostics& d) {
  const auto name = [index](std::string_view key) { return api_setting(index, key); };
  const bool token_known = d.usable(name("token"));
  const bool client = route.token == TokenMode::client || route.token == TokenMode::user_or_client;
  if (d.usable(name("scopes")) && !route.scopes.empty()) {
    const auto bad = std::find_if_not(route.scopes.begin(), route.scopes.end(), is_scope_token);
    if (bad != route.scopes.end())
      d.error(name("scopes"), "has an invalid scope " + quote_for_message(*bad) +
                                  " (one word per entry, no spaces or quotes)");
    else if (token_known && !client)
      d.error(name("scopes"),
              "only apply to client-credentials tokens (token = \"client\" or "
              "\"user_or_client\"), but " +
                  token_is(route.token));
  }
  if (d.usable(name("audience")) && route.audience) {
    const auto& audience = *route.audience;
    if (audience.empty())
      d.error(name("audience"), "must not be empty");
    else if (std::any_of(audience.begin(), audience.end(),
                         [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
      d.error(name("audience"),
              "must not contain spaces or control characters, got " + quote_for_message(audience));
    else if (token_known && route.token == TokenMode::none)
      d.error(name("audience"), "does not apply to token = \"none\": no token is sent");
  }
  if (d.usable(name("require_claims")) && !route.require_claims.empty() && token_known &&
      (route.token == TokenMode::none || route.token == TokenMode::client))
    d.error(name("require_claims"), "does not apply to " + token_is(route.token) +
                                        ": there is no user whose claims could be checked");
}

void check_timeout(std::size_t index, std::string_view key, milliseconds value, Diagnostics& d) {
  const std::string setting = api_setting(index, key);
  if (!d.usable(setting)) return;
  const milliseconds max = ApiRouteLimits::max_timeout;
  if (value <= milliseconds::zero())
    d.error(setting, "must be longer than zero, got \"" + format_duration(value) + "\"");
  else if (value > max)
    d.error(setting, "must be at most \"" + format_duration(max) + "\", got \"" +
                         format_duration(value) + "\"");
}

}  // namespace

void validate_api_routes(const Config& config, Diagnostics& d) {
  for (std::size_t i = 0; i < config.api.size(); ++i) {
    const ApiRoute& route = config.api[i];
    const std::string path = api_setting(i, "path");
    // Unset only for an `api` element that was not a table, already reported.
    if (d.is_set(path) && d.usable(path)) {
      if (auto problem = path_problem(route.path); !problem.empty())
        d.error(path, std::move(problem));
      else
        check_path_is_free(config, i, d);
    }
    check_upstream(route, i, d);
    check_token_settings(route, i, d);
    check_timeout(i, "connect_timeout", route.connect_timeout, d);
    check_timeout(i, "response_timeout", route.response_timeout, d);
    if (route.max_body && *route.max_body == 0)
      d.error("api[" + std::to_string(i) + "].max_body", "must be larger than zero");
  }
}

}  // namespace gatehouse::config
