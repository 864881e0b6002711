// `[[api]]` rules: path and upstream shapes, which token settings go with which token, timeouts,
// paths taken twice or shadowing the gateway's own endpoints; every error names `api[N].key`.
#include "config/config.hpp"
#include "config_test_support.hpp"

#include <gtest/gtest.h>

namespace gatehouse::config {
namespace {

using namespace std::chrono_literals;
using testing::all_problems;
using testing::load_ok;
using testing::route;
using testing::single_error;
using testing::with_routes;

constexpr std::string_view local = "http://127.0.0.1:9001";

// The one error `tables` cause; it must be about `setting` and contain `part`.
void expect_error(const std::string& tables, std::string_view setting, std::string_view part,
                  const Environment& env = {}) {
  auto result = load_config_from_string(with_routes(tables), env, "test.toml");
  ASSERT_EQ(result.errors.size(), 1u) << tables << "\n" << all_problems(result.errors);
  const auto text = result.errors[0].to_string();
  EXPECT_EQ(result.errors[0].setting, setting) << text;
  EXPECT_NE(text.find(part), std::string::npos) << text;
  EXPECT_NE(text.find("(at test.toml:"), std::string::npos) << text;
}

void expect_path_error(std::string_view path, std::string_view part) {
  expect_error(route(path, local), "api[0].path", part);
}

// A route with `extra` lines loads, and has no warnings.
ApiRoute load_route(std::string_view extra, std::string_view path = "/api") {
  auto result = load_config_from_string(with_routes(route(path, local, extra)), {}, "test.toml");
  EXPECT_TRUE(result.ok()) << extra << "\n" << all_problems(result.errors);
  EXPECT_TRUE(result.warnings.empty()) << all_problems(result.warnings);
  return result.ok() ? result.config->api.at(0) : ApiRoute{};
}

TEST(ApiRouteRules, PathsThatAreFine) {
  for (auto ok : {"/api", "/api/orders", "/a-b_c.d~e", "/v1/@me", "/x:y", "/bffx", "/healthzz",
                  "/api/bff", "/api/signin-oidc", "/A/B/..c"})
    EXPECT_EQ(load_route({}, ok).path, ok);
  load_route({}, "/" + std::string(255, 'a'));
}

TEST(ApiRouteRules, PathShape) {
  EXPECT_EQ(single_error(with_routes(route("api/orders", local))),
            "api[0].path: must start with \"/\", got \"api/orders\" (at test.toml:11:8)");
  expect_path_error("", "must start with \"/\"");
  expect_path_error("/", "must not be \"/\": a route for every path would shadow");
  expect_path_error("/api/", "must not end with \"/\"");
  expect_path_error("/api//orders", "must not have an empty segment");
  expect_path_error("/api/./orders", "must not have a \".\" or \"..\" segment");
  expect_path_error("/api/..", "must not have a \".\" or \"..\" segment");
  expect_path_error("/" + std::string(256, 'a'), "must be at most 256 bytes, got 257");
  for (auto bad : {"/api?x=1", "/api#top", "/api%20x", "/a b", "/a\\tb", "/a\\\\b", "/caf\xc3\xa9",
                   "/a\\u0001b", "/a\\\"b"})
    expect_path_error(bad, "must contain only letters, digits and -._~!$&'()*+,;=:@/");
}

TEST(ApiRouteRules, UpstreamsThatAreFine) {
  for (auto ok : {"http://127.0.0.1:9001", "http://127.0.0.1:9001/orders", "http://[::1]:9001/a/b",
                  "http://localhost", "https://orders.internal", "https://orders.internal/v1/x%20y",
                  "HTTPS://orders.internal:443/orders"}) {
    const auto r = load_route("token = \"user\"", "/api");
    (void)r;
    auto result = load_config_from_string(with_routes(route("/api", ok)), {}, "test.toml");
    ASSERT_TRUE(result.ok()) << ok << "\n" << all_problems(result.errors);
    EXPECT_EQ(result.config->api[0].upstream, ok);
  }
}

TEST(ApiRouteRules, UpstreamTrailingSlashIsDropped) {
  const Config c = load_ok(with_routes(route("/a", "http://127.0.0.1:9001/") +
                                       route("/b", "https://orders.internal/orders/")));
  EXPECT_EQ(c.api[0].upstream, "http://127.0.0.1:9001");
  EXPECT_EQ(c.api[1].upstream, "https://orders.internal/orders");
}

TEST(ApiRouteRules, UpstreamShape) {
  EXPECT_EQ(single_error(with_routes(route("/a", local) + route("/b", "ftp://x"))),
            "api[1].upstream: must be an absolute http(s) URL, got \"ftp://x\" "
            "(at test.toml:15:12)");
  const auto expect_upstream_error = [](std::string_view upstream, std::string_view part) {
    expect_error(route("/api", upstream), "api[0].upstream", part);
  };
  for (auto bad : {"", "orders", "/orders", "http://", "http:///orders", "ws://127.0.0.1"})
    expect_upstream_error(bad, "must be an absolute http(s) URL");
  expect_upstream_error("https://user:pw@orders.internal",
                        "must not contain a user name or password");
  expect_upstream_error("https://user@orders.internal", "must not contain a user name");
  expect_upstream_error("https://orders.internal:0", "has an invalid port");
  expect_upstream_error("https://orders.internal:65536", "has an invalid port");
  expect_upstream_error("https://orders.internal:/orders", "has an invalid port");
  expect_upstream_error("https://orders.internal/orders?x=1", "must not have a query");
  expect_upstream_error("https://orders.internal/?", "must not have a query");
  expect_upstream_error("https://orders.internal/#top", "must not have a fragment");
  expect_upstream_error("https://orders.internal/a//b", "must not have an empty segment");
  expect_upstream_error("https://orders.internal//", "must not have an empty segment");
  expect_upstream_error("https://orders.internal/a/../b", "must not have a \".\" or \"..\"");
  expect_upstream_error("https://[v1.x]/", "has an unsupported host");
}

TEST(ApiRouteRules, PlainHttpBeyondLoopbackIsAWarningNamingTheRoute) {
  auto result = load_config_from_string(
      with_routes(route("/api/orders", "http://orders.internal:9001/orders")), {}, "test.toml");
  ASSERT_TRUE(result.ok()) << all_problems(result.errors);
  ASSERT_EQ(result.warnings.size(), 1u) << all_problems(result.warnings);
  EXPECT_EQ(result.warnings[0].to_string(),
            "api[0].upstream: uses plain http to a host that is not loopback: the tokens of route "
            "\"/api/orders\" cross the network unencrypted; use https (at test.toml:12:12)");
  // Without a token nothing secret travels.
  result = load_config_from_string(
      with_routes(route("/api", "http://cdn.internal", "token = \"none\"")), {}, "test.toml");
  EXPECT_TRUE(result.ok() && result.warnings.empty()) << all_problems(result.warnings);
  for (auto loopback : {"http://127.0.0.1:1", "http://[::1]:1", "http://LocalHost:1"}) {
    result = load_config_from_string(with_routes(route("/api", loopback)), {}, "test.toml");
    EXPECT_TRUE(result.ok() && result.warnings.empty()) << loopback;
  }
}

TEST(ApiRouteRules, ScopesOnlyWithClientTokens) {
  EXPECT_EQ(load_route("token = \"client\"\nscopes = [\"orders.read\"]").scopes,
            (std::vector<std::string>{"orders.read"}));
  load_route("token = \"user_or_client\"\nscopes = [\"a\", \"b:c\"]");
  load_route("scopes = []");
  EXPECT_EQ(single_error(with_routes(route("/api", local, "scopes = [\"orders.read\"]"))),
            "api[0].scopes: only apply to client-credentials tokens (token = \"client\" or "
            "\"user_or_client\"), but token = \"user\" (at test.toml:13:10)");
  for (auto token : {"user_or_none", "none"})
    expect_error(route("/api", local, "token = \"" + std::string(token) + "\"\nscopes = [\"a\"]"),
                 "api[0].scopes", "only apply to client-credentials tokens");
  expect_error(route("/api", local, "token = \"client\"\nscopes = [\"a\", \"b c\"]"),
               "api[0].scopes", "has an invalid scope \"b c\" (one word per entry");
  expect_error(route("/api", local, "token = \"client\"\nscopes = [\"\"]"), "api[0].scopes",
               "has an invalid scope \"\"");
}

TEST(ApiRouteRules, AudienceNeedsAToken) {
  for (auto token : {"user", "user_or_client", "client", "user_or_none"})
    EXPECT_EQ(
        load_route("audience = \"urn:orders\"\ntoken = \"" + std::string(token) + "\"").audience,
        "urn:orders");
  EXPECT_EQ(
      single_error(with_routes(route("/api", local, "token = \"none\"\naudience = \"urn:x\""))),
      "api[0].audience: does not apply to token = \"none\": no token is sent "
      "(at test.toml:14:12)");
  expect_error(route("/api", local, "audience = \"\""), "api[0].audience", "must not be empty");
  expect_error(route("/api", local, "audience = \"urn:a b\""), "api[0].audience",
               "must not contain spaces or control characters");
}

TEST(ApiRouteRules, RequiredClaimsNeedAUser) {
  for (auto token : {"user", "user_or_client", "user_or_none"})
    EXPECT_EQ(load_route("require_claims = { groups = \"orders\" }\ntoken = \"" +
                         std::string(token) + "\"")
                  .require_claims.size(),
              1u);
  EXPECT_EQ(single_error(with_routes(
                route("/api", local, "token = \"client\"\nrequire_claims = { groups = \"g\" }"))),
            "api[0].require_claims: does not apply to token = \"client\": there is no user whose "
            "claims could be checked (at test.toml:14:18)");
  expect_error(route("/api", local, "token = \"none\"\nrequire_claims = { groups = \"g\" }"),
               "api[0].require_claims", "does not apply to token = \"none\"");
  load_route("token = \"none\"\nrequire_claims = {}");
}

TEST(ApiRouteRules, TimeoutsArePositiveAndAtMostTenMinutes) {
  const ApiRoute r = load_route("connect_timeout = \"10m\"\nresponse_timeout = \"1ms\"");
  EXPECT_EQ(r.connect_timeout, 10min);
  EXPECT_EQ(r.response_timeout, 1ms);
  EXPECT_EQ(single_error(with_routes(route("/api", local, "connect_timeout = \"0s\""))),
            "api[0].connect_timeout: must be longer than zero, got \"0s\" (at test.toml:13:19)");
  EXPECT_EQ(single_error(with_routes(route("/api", local, "response_timeout = \"10m1ms\""))),
            "api[0].response_timeout: must be at most \"10m\", got \"10m1ms\" "
            "(at test.toml:13:20)");
  expect_error(route("/api", local, "connect_timeout = \"-1s\""), "api[0].connect_timeout",
               "must not be negative");
}

TEST(ApiRouteRules, APathIsTakenOnce) {
  const std::string tables = route("/api/a", local) + route("/api", local) +
                             route("/api/b", local) + route("/api", "http://127.0.0.1:2");
  EXPECT_EQ(single_error(with_routes(tables)),
            "api[3].path: \"/api\" is already the path of api[1] (at test.toml:20:8)");
}

TEST(ApiRouteRules, RoutesMustNotShadowTheGatewaysEndpoints) {
  for (auto bad : {"/bff", "/bff/x", "/bff/login"})
    expect_error(route(bad, local), "api[0].path",
                 "would shadow the gateway's own \"/bff\" (the BFF endpoints, bff.base_path)");
  EXPECT_EQ(single_error(with_routes(route("/signin-oidc", local))),
            "api[0].path: \"/signin-oidc\" would shadow the gateway's own \"/signin-oidc\" (the "
            "OIDC redirect URI) (at test.toml:11:8)");
  expect_error(route("/healthz/x", local), "api[0].path", "\"/healthz\" (the health check)");
  expect_error(route("/readyz", local), "api[0].path", "\"/readyz\" (the readiness check)");

  // bff.base_path as configured, from the file or the environment; above it counts too.
  std::string tables = "[bff]\nbase_path = \"/gw\"\n" + route("/gw/api", local);
  expect_error(tables, "api[0].path", "would shadow the gateway's own \"/gw\"");
  load_ok(with_routes("[bff]\nbase_path = \"/gw\"\n" + route("/bff", local)));
  expect_error(route("/api", local), "api[0].path", "would shadow the gateway's own \"/api/bff\"",
               {{"GATEHOUSE_BFF_BASE_PATH", "/api/bff"}});
  load_ok(with_routes(route("/api", local)), {{"GATEHOUSE_BFF_BASE_PATH", "/apix/bff"}});
}

TEST(ApiRouteRules, EveryProblemOfEveryRouteAtOnce) {
  const std::string tables = route("/bff", "ftp://x", "token = \"client\"\naudience = \"\"") +
                             route("/ok", local) +
                             route("/api/", local, "connect_timeout = \"0s\"\nbogus = 1");
  const auto result = load_config_from_string(with_routes(tables), {}, "test.toml");
  std::vector<std::string> settings;
  for (const auto& p : result.errors) settings.push_back(p.setting);
  EXPECT_EQ(settings,
            (std::vector<std::string>{"", "api[0].path", "api[0].upstream", "api[0].audience",
                                      "api[2].path", "api[2].connect_timeout"}))
      << all_problems(result.errors);
}

}  // namespace
}  // namespace gatehouse::config
