// `[[api]]` routes as read from the file: defaults, every key, shape and type errors, unknown
// keys, the environment (which cannot hold routes), describe() round trips; and the two
// `[oidc]` settings the proxy uses, refresh_margin and dpop.
#include "config/api_routes.hpp"
#include "config/config.hpp"
#include "config_test_support.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace gatehouse::config {
namespace {

using namespace std::chrono_literals;
using testing::all_problems;
using testing::load_ok;
using testing::minimal_toml;
using testing::route;
using testing::single_error;
using testing::with;
using testing::with_routes;

using Claims = std::vector<std::pair<std::string, std::vector<std::string>>>;

Claims claims_of(const ApiRoute& r) {
  Claims out;
  for (const auto& c : r.require_claims) out.emplace_back(c.claim, c.any_of);
  return out;
}

// Field by field, so a failure says which field differs.
void expect_same_route(const ApiRoute& a, const ApiRoute& b) {
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.upstream, b.upstream);
  EXPECT_EQ(a.token, b.token) << to_string(a.token) << " " << to_string(b.token);
  EXPECT_EQ(a.scopes, b.scopes);
  EXPECT_EQ(a.audience, b.audience);
  EXPECT_EQ(claims_of(a), claims_of(b));
  EXPECT_EQ(a.csrf, b.csrf);
  EXPECT_EQ(a.websocket, b.websocket);
  EXPECT_EQ(a.connect_timeout, b.connect_timeout);
  EXPECT_EQ(a.response_timeout, b.response_timeout);
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// All errors `toml` produces, one per line.
std::string errors_of(const std::string& toml, const Environment& env = {}) {
  return all_problems(load_config_from_string(toml, env, "test.toml").errors);
}

constexpr std::string_view full_route = R"([[api]]
path = "/api/orders"
upstream = "https://orders.internal:9001/orders"
token = "user_or_client"
scopes = ["orders.read", "orders.write"]
audience = "urn:orders"
require_claims = { zeta = "orders", alpha = ["admin", "ops"] }
csrf = false
websocket = true
connect_timeout = "500ms"
response_timeout = "2m"
)";

TEST(ApiRoutes, NoneUnlessConfigured) {
  EXPECT_TRUE(load_ok(minimal_toml).api.empty());
  EXPECT_TRUE(load_ok("api = []\n" + std::string(minimal_toml)).api.empty());
}

TEST(ApiRoutes, DefaultsForEverythingButPathAndUpstream) {
  auto result = load_config_from_string(
      with_routes(route("/api/orders", "http://127.0.0.1:9001/orders")), {}, "test.toml");
  ASSERT_TRUE(result.ok()) << all_problems(result.errors);
  EXPECT_TRUE(result.warnings.empty()) << all_problems(result.warnings);
  ASSERT_EQ(result.config->api.size(), 1u);
  const ApiRoute& r = result.config->api[0];
  EXPECT_EQ(r.path, "/api/orders");
  EXPECT_EQ(r.upstream, "http://127.0.0.1:9001/orders");
  EXPECT_EQ(r.token, TokenMode::user);
  EXPECT_TRUE(r.scopes.empty());
  EXPECT_FALSE(r.audience);
  EXPECT_TRUE(r.require_claims.empty());
  EXPECT_TRUE(r.csrf);
  EXPECT_FALSE(r.websocket);
  EXPECT_EQ(r.connect_timeout, 2s);
  EXPECT_EQ(r.response_timeout, 30s);
}

TEST(ApiRoutes, EveryKeyWithClaimsInFileOrder) {
  const Config c = load_ok(with_routes(full_route));
  ASSERT_EQ(c.api.size(), 1u);
  const ApiRoute& r = c.api[0];
  EXPECT_EQ(r.upstream, "https://orders.internal:9001/orders");
  EXPECT_EQ(r.token, TokenMode::user_or_client);
  EXPECT_EQ(r.scopes, (std::vector<std::string>{"orders.read", "orders.write"}));
  EXPECT_EQ(r.audience, "urn:orders");
  EXPECT_EQ(claims_of(r), (Claims{{"zeta", {"orders"}}, {"alpha", {"admin", "ops"}}}));
  EXPECT_FALSE(r.csrf);
  EXPECT_TRUE(r.websocket);
  EXPECT_EQ(r.connect_timeout, 500ms);
  EXPECT_EQ(r.response_timeout, 2min);
}

TEST(ApiRoutes, ClaimsAsASubTable) {
  const Config c = load_ok(with_routes(route("/api", "http://127.0.0.1:1") +
                                       "[api.require_claims]\n\"realm_access.roles\" = "
                                       "[\"a\"]\ngroups = \"g\"\n"));
  EXPECT_EQ(claims_of(c.api[0]), (Claims{{"realm_access.roles", {"a"}}, {"groups", {"g"}}}));
}

TEST(ApiRoutes, EveryTokenMode) {
  for (const auto& [word, mode] :
       std::vector<std::pair<std::string, TokenMode>>{{"user", TokenMode::user},
                                                      {"user_or_client", TokenMode::user_or_client},
                                                      {"client", TokenMode::client},
                                                      {"user_or_none", TokenMode::user_or_none},
                                                      {"none", TokenMode::none}}) {
    const Config c =
        load_ok(with_routes(route("/api", "http://127.0.0.1:1", "token = \"" + word + "\"")));
    EXPECT_EQ(c.api[0].token, mode) << word;
    EXPECT_EQ(to_string(mode), word);
  }
  EXPECT_EQ(single_error(with_routes(route("/api", "http://127.0.0.1:1", "token = \"bearer\""))),
            "api[0].token: must be \"user\", \"user_or_client\", \"client\", "
            "\"user_or_none\" or \"none\", got \"bearer\" (at test.toml:13:9)");
}

TEST(ApiRoutes, RoutesKeepFileOrderAndNestedPrefixesAreFine) {
  const Config c = load_ok(with_routes(route("/api/orders/admin", "http://127.0.0.1:2") +
                                       route("/api/orders", "http://127.0.0.1:1") +
                                       route("/api", "http://127.0.0.1:3")));
  ASSERT_EQ(c.api.size(), 3u);
  EXPECT_EQ(c.api[0].path, "/api/orders/admin");
  EXPECT_EQ(c.api[1].path, "/api/orders");
  EXPECT_EQ(c.api[2].upstream, "http://127.0.0.1:3");
}

TEST(ApiRoutes, ApiMustBeAnArrayOfTables) {
  EXPECT_EQ(single_error(with_routes("[api]\npath = \"/api\"\n")),
            "api: must be an array of tables: one [[api]] table per route, got a table "
            "(at test.toml:10:1)");
  EXPECT_EQ(single_error("api = \"/api\"\n" + std::string(minimal_toml)),
            "api: must be an array of tables: one [[api]] table per route, got a string "
            "(at test.toml:1:7)");
  // A stray element keeps its index: the table after it is still api[1].
  EXPECT_EQ(errors_of("api = [1, { path = \"/api\" }]\n" + std::string(minimal_toml)),
            "api: must be an array of tables: one [[api]] table per route, but api[0] is an "
            "integer (at test.toml:1:8)\n"
            "api[1].upstream: is required: every [[api]] route needs a path and an upstream "
            "(at test.toml:1:11)\n");
}

TEST(ApiRoutes, PathAndUpstreamAreRequired) {
  EXPECT_EQ(errors_of(with_routes("[[api]]\ntoken = \"none\"\n")),
            "api[0].path: is required: every [[api]] route needs a path and an upstream "
            "(at test.toml:10:1)\n"
            "api[0].upstream: is required: every [[api]] route needs a path and an upstream "
            "(at test.toml:10:1)\n");
}

TEST(ApiRoutes, WrongTypesNameTheRouteKey) {
  const auto error_for = [](std::string_view line) {
    return single_error(with_routes(route("/api", "http://127.0.0.1:1", line)));
  };
  EXPECT_EQ(error_for("csrf = \"yes\""),
            "api[0].csrf: must be true or false, got a string (at test.toml:13:8)");
  EXPECT_EQ(error_for("connect_timeout = 5"),
            "api[0].connect_timeout: must be a duration string with a unit, like \"5s\", got an "
            "integer (at test.toml:13:19)");
  EXPECT_TRUE(contains(error_for("response_timeout = \"soon\""),
                       "api[0].response_timeout: is not a duration: \"soon\""));
  EXPECT_EQ(error_for("scopes = \"orders.read\""),
            "api[0].scopes: must be an array of strings, got a string (at test.toml:13:10)");
  EXPECT_EQ(error_for("audience = 1"),
            "api[0].audience: must be a string, got an integer (at test.toml:13:12)");
  EXPECT_EQ(single_error(with_routes("[[api]]\npath = [\"/a\"]\nupstream = \"http://127.0.0.1\"")),
            "api[0].path: must be a string, got an array (at test.toml:11:8)");
}

TEST(ApiRoutes, UnknownKeysWithSuggestions) {
  EXPECT_EQ(single_error(with_routes(route("/api", "http://127.0.0.1:1", "tokn = \"user\""))),
            "test.toml:13:1: unknown setting api[0].tokn — did you mean api[0].token?");
  // Everything after [[api]] belongs to the route: a setting meant for a section lands there.
  EXPECT_EQ(single_error(with_routes(route("/api", "http://127.0.0.1:1", "clock_skew = \"1m\""))),
            "test.toml:13:1: unknown setting api[0].clock_skew — did you mean oidc.clock_skew? "
            "Keys after an [[api]] header belong to that route until the next [section]");
  EXPECT_EQ(single_error(with("bff", "upstream = \"http://127.0.0.1:1\"")),
            "test.toml:11:1: unknown setting bff.upstream — did you mean upstream in an [[api]] "
            "table?");
  EXPECT_EQ(single_error(with_routes("[[apis]]\npath = \"/api\"\n")),
            "test.toml:10:3: unknown section [[apis]] — did you mean [[api]]?");
}

TEST(ApiRoutes, ClaimValuesMustBeNonEmptyStrings) {
  const auto error_for = [](std::string_view claims) {
    return single_error(with_routes(
        route("/api", "http://127.0.0.1:1", "require_claims = " + std::string(claims))));
  };
  EXPECT_EQ(error_for("\"groups\""),
            "api[0].require_claims: must be a table of claim = value, like { groups = "
            "\"orders\" }, got a string (at test.toml:13:18)");
  EXPECT_EQ(error_for("{ groups = \"\" }"),
            "api[0].require_claims: claim \"groups\" must not be an empty string "
            "(at test.toml:13:29)");
  EXPECT_EQ(error_for("{ groups = [] }"),
            "api[0].require_claims: claim \"groups\" must list at least one value "
            "(at test.toml:13:29)");
  EXPECT_EQ(error_for("{ groups = [\"a\", 2] }"),
            "api[0].require_claims: claim \"groups\" must be an array of non-empty strings, but "
            "element 2 is an integer (at test.toml:13:29)");
  EXPECT_EQ(error_for("{ groups = [\"a\", \"\"] }"),
            "api[0].require_claims: claim \"groups\" must be an array of non-empty strings, but "
            "element 2 is empty (at test.toml:13:29)");
  EXPECT_EQ(error_for("{ admin = true }"),
            "api[0].require_claims: claim \"admin\" must be a string or an array of strings, got "
            "a boolean (at test.toml:13:28)");
  EXPECT_TRUE(contains(error_for("{ \"\" = \"x\" }"), "claim \"\" must have a name"));
  // Every bad claim is reported, each at its own value.
  EXPECT_EQ(errors_of(with_routes(route("/api", "http://127.0.0.1:1",
                                        "require_claims = { a = 1, b = \"ok\", c = [] }"))),
            "api[0].require_claims: claim \"a\" must be a string or an array of strings, got an "
            "integer (at test.toml:13:24)\n"
            "api[0].require_claims: claim \"c\" must list at least one value "
            "(at test.toml:13:41)\n");
}

std::string claims(std::size_t n) {
  std::string out = "require_claims = { ";
  for (std::size_t i = 0; i < n; ++i) out += (i ? ", c" : "c") + std::to_string(i) + " = \"v\"";
  return out + " }";
}

TEST(ApiRoutes, AtMost32Claims) {
  EXPECT_EQ(load_ok(with_routes(route("/api", "http://127.0.0.1:1", claims(32))))
                .api[0]
                .require_claims.size(),
            32u);
  EXPECT_EQ(single_error(with_routes(route("/api", "http://127.0.0.1:1", claims(33)))),
            "api[0].require_claims: has 33 claims; at most 32 are allowed (at test.toml:13:18)");
}

std::string routes(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += route("/api/r" + std::to_string(i), "http://127.0.0.1:1");
  return out;
}

TEST(ApiRoutes, AtMost256Routes) {
  EXPECT_EQ(load_ok(with_routes(routes(256))).api.size(), 256u);
  const auto error = single_error(with_routes(routes(257)));
  EXPECT_TRUE(error.starts_with("api: has 257 routes; at most 256 are allowed (at test.toml:"))
      << error;
}

TEST(ApiRoutes, TheEnvironmentCannotHoldRoutes) {
  EXPECT_EQ(single_error(minimal_toml, {{"GATEHOUSE_API_0_PATH", "/api"}}),
            "environment: GATEHOUSE_API_0_PATH cannot be used: [[api]] routes come from the "
            "configuration file only");
  EXPECT_EQ(single_error(minimal_toml, {{"GATEHOUSE_API", "[]"}}),
            "environment: GATEHOUSE_API cannot be used: [[api]] routes come from the "
            "configuration file only");
  // Not the api section's prefix: somebody else's variable, left alone like the others.
  EXPECT_TRUE(load_ok(minimal_toml, {{"GATEHOUSE_APIKEY", "x"}}).api.empty());
  // Routes from the file are untouched by the rest of the environment.
  const Config c = load_ok(with_routes(route("/api", "http://127.0.0.1:1")),
                           {{"GATEHOUSE_BFF_BASE_PATH", "/gw"}});
  EXPECT_EQ(c.api.size(), 1u);
}

TEST(OidcProxySettings, DefaultsFromTheFileAndFromTheEnvironment) {
  const Config defaults = load_ok(minimal_toml);
  EXPECT_EQ(defaults.oidc.refresh_margin, 60s);
  EXPECT_FALSE(defaults.oidc.dpop);
  const Config file = load_ok(with("oidc", "refresh_margin = \"5m\"\ndpop = true"));
  EXPECT_EQ(file.oidc.refresh_margin, 5min);
  EXPECT_TRUE(file.oidc.dpop);
  const Config env =
      load_ok(with("oidc", "refresh_margin = \"5m\""),
              {{"GATEHOUSE_OIDC_REFRESH_MARGIN", "0s"}, {"GATEHOUSE_OIDC_DPOP", "1"}});
  EXPECT_EQ(env.oidc.refresh_margin, 0s);
  EXPECT_TRUE(env.oidc.dpop);
  EXPECT_EQ(load_ok(minimal_toml, {{"GATEHOUSE_OIDC_REFRESH_MARGIN", "1h"}}).oidc.refresh_margin,
            1h);
}

TEST(OidcProxySettings, Errors) {
  EXPECT_EQ(single_error(minimal_toml, {{"GATEHOUSE_OIDC_REFRESH_MARGIN", "1h1s"}}),
            "oidc.refresh_margin: must be at most \"1h\", got \"1h1s\"; access tokens are "
            "refreshed this long before they expire (from GATEHOUSE_OIDC_REFRESH_MARGIN)");
  EXPECT_TRUE(contains(single_error(with("oidc", "refresh_margin = 60")),
                       "oidc.refresh_margin: must be a duration string with a unit"));
  EXPECT_EQ(single_error(minimal_toml, {{"GATEHOUSE_OIDC_DPOP", "on"}}),
            "oidc.dpop: must be true, false, 1 or 0, got \"on\" (from GATEHOUSE_OIDC_DPOP)");
  EXPECT_TRUE(contains(single_error(with("oidc", "dpop = \"true\"")),
                       "oidc.dpop: must be true or false, got a string"));
}

TEST(ApiRoutesDescribe, RoutesAreValidTomlThatLoadsBackToTheSameRoutes) {
  const Environment env{{"GATEHOUSE_OIDC_CLIENT_SECRET", "s3cr3t-value"}};
  const Config original = load_ok(with_routes(
      std::string(full_route) +
      route("/api/public", "https://cdn.example.com", "token = \"none\"") +
      route("/ws", "http://localhost:7000/", "websocket = true\ntoken = \"client\"") +
      route("/api/x", "http://127.0.0.1:1",
            "require_claims = { \"realm_access.roles\" = \"a\", \"a b\" = [\"x\\\"y\"] }")));
  std::string dump = describe(original);
  dump.replace(dump.find("client_secret = \"***\""), 21, "");
  const Config again = load_ok(dump, env);
  ASSERT_EQ(again.api.size(), original.api.size()) << dump;
  for (std::size_t i = 0; i < original.api.size(); ++i)
    expect_same_route(again.api[i], original.api[i]);
  EXPECT_EQ(describe(again), describe(original));
}

TEST(ApiRoutesDescribe, ShowsEveryKey) {
  const std::string text = describe(
      load_ok(with_routes(std::string(full_route) + route("/ws", "http://127.0.0.1:7000/"))));
  EXPECT_TRUE(contains(text, R"([[api]]
path = "/api/orders"
upstream = "https://orders.internal:9001/orders"
token = "user_or_client"
scopes = ["orders.read", "orders.write"]
audience = "urn:orders"
require_claims = { zeta = "orders", alpha = ["admin", "ops"] }
csrf = false
websocket = true
connect_timeout = "500ms"
response_timeout = "2m"
)")) << text;
  // The trailing "/" of the upstream is dropped; unset keys are comments.
  EXPECT_TRUE(contains(text, R"([[api]]
path = "/ws"
upstream = "http://127.0.0.1:7000"
token = "user"
# scopes is not set
# audience is not set
# require_claims is not set
csrf = true
websocket = false
connect_timeout = "2s"
response_timeout = "30s"
)")) << text;
  EXPECT_TRUE(contains(text, "refresh_margin = \"1m\"\ndpop = false\n")) << text;
  EXPECT_TRUE(contains(describe(load_ok(minimal_toml)), "\n# no [[api]] routes\n"));
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(ApiRoutesDocs, EveryRouteKeyIsDocumented) {
  const std::string doc = read(std::string(GATEHOUSE_DOCS_DIR) + "/configuration.md");
  EXPECT_TRUE(contains(doc, "## `[[api]]`"));
  for (const auto key : api_route_keys())
    EXPECT_TRUE(contains(doc, "`" + std::string(key) + "`")) << key;
  EXPECT_TRUE(contains(doc, "come from the configuration file only"));
}

}  // namespace
}  // namespace gatehouse::config
