// Each semantic rule: the error names its setting and says what is wrong.
#include "config/config.hpp"
#include "config_test_support.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace gatehouse::config {
namespace {

using namespace std::chrono_literals;
using testing::all_problems;
using testing::load_ok;
using testing::minimal_toml;
using testing::single_error;
using testing::with;

// The one error `extra` (added to `section` of the minimal file) causes; it must start with
// `setting: ` and contain `part`.
void expect_error(std::string_view section, std::string_view extra, std::string_view setting,
                  std::string_view part, const Environment& env = {}) {
  auto result = load_config_from_string(with(section, extra), env, "test.toml");
  ASSERT_EQ(result.errors.size(), 1u) << extra << "\n" << all_problems(result.errors);
  const auto text = result.errors[0].to_string();
  EXPECT_EQ(result.errors[0].setting, setting) << text;
  EXPECT_TRUE(text.starts_with(std::string(setting) + ": ")) << text;
  EXPECT_NE(text.find(part), std::string::npos) << text;
  EXPECT_FALSE(result.ok());
}

// `minimal_toml` with server.public_origin replaced.
std::string with_origin(std::string_view origin) {
  std::string toml(minimal_toml);
  const std::string old = "\"https://app.example.com\"";
  toml.replace(toml.find(old), old.size(), "\"" + std::string(origin) + "\"");
  return toml;
}

TEST(Validation, Listen) {
  for (auto ok : {"0.0.0.0:80", "[::]:8080", "[::1]:0", "localhost:65535", "gw-1.internal:8080"})
    load_ok(with("server", "listen = \"" + std::string(ok) + "\""));
  for (auto bad : {"8080", ":8080", "0.0.0.0:", "0.0.0.0:65536", "[::1:80", "[zz]:80", "a b:80",
                   "unix:/tmp/s"})
    expect_error("server", "listen = \"" + std::string(bad) + "\"", "server.listen",
                 "must be host:port");
}

TEST(Validation, TrustedProxies) {
  const auto cfg =
      load_ok(with("server", R"(trusted_proxies = ["10.0.0.0/8", "::1", "fd00::/8"])"));
  EXPECT_EQ(cfg.server.trusted_proxies,
            (std::vector<std::string>{"10.0.0.0/8", "::1", "fd00::/8"}));
  EXPECT_TRUE(load_ok(minimal_toml).server.trusted_proxies.empty()) << "nobody by default";
  expect_error("server", R"(trusted_proxies = ["10.0.0.0/8", "lb.internal"])",
               "server.trusted_proxies", "\"lb.internal\" is not an IP address");
  expect_error("server", R"(trusted_proxies = ["10.0.0.1/8"])", "server.trusted_proxies",
               "host bits");
  expect_error("server", R"(trusted_proxies = ["10.0.0.0/40"])", "server.trusted_proxies",
               "0 to 32");
}

TEST(Validation, PublicOriginAcceptsOrigins) {
  for (auto ok : {"https://app.example.com", "https://app.example.com:8443",
                  "http://localhost:8080", "http://127.0.0.1:8080", "https://[::1]:8443"})
    load_ok(with_origin(ok));
}

TEST(Validation, PublicOriginRejectsNonOrigins) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"app.example.com", "must be an origin like"},
      {"ftp://app.example.com", "must be an origin like"},
      {"https://", "must be an origin like"},
      {"https://app.example.com/", "must not end with \"/\""},
      {"https://app.example.com/app", "no path, query or fragment"},
      {"https://app.example.com?x=1", "no path, query or fragment"},
      {"https://app.example.com#top", "no path, query or fragment"},
      {"https://user:pw@app.example.com", "user name or password"},
      {"https://app.example.com:0", "invalid port"},
      {"https://app.example.com:99999", "invalid port"},
      {"https://App.Example.com", "lower case"},
  };
  for (const auto& [origin, part] : cases) {
    auto result = load_config_from_string(with_origin(origin), {});
    ASSERT_EQ(result.errors.size(), 1u) << origin << "\n" << all_problems(result.errors);
    EXPECT_EQ(result.errors[0].setting, "server.public_origin");
    EXPECT_NE(result.errors[0].message.find(part), std::string::npos)
        << origin << ": " << result.errors[0].message;
  }
}

TEST(Validation, Authority) {
  for (auto ok : {"https://login.example.com", "https://login.example.com/realms/app/",
                  "http://localhost:8081/realms/dev", "http://127.0.0.1", "http://[::1]:9000"})
    load_ok(minimal_toml, {{"GATEHOUSE_OIDC_AUTHORITY", ok}});
  expect_error("oidc", "", "oidc.authority", "must be an absolute http(s) URL, got \"foo\"",
               {{"GATEHOUSE_OIDC_AUTHORITY", "foo"}});
  expect_error("oidc", "", "oidc.authority", "must use https; http is allowed only for",
               {{"GATEHOUSE_OIDC_AUTHORITY", "http://login.example.com"}});
  expect_error("oidc", "", "oidc.authority", "must use https",
               {{"GATEHOUSE_OIDC_AUTHORITY", "http://127.0.0.2"}});
  expect_error("oidc", "", "oidc.authority", "query or fragment",
               {{"GATEHOUSE_OIDC_AUTHORITY", "https://login.example.com?x"}});
  expect_error("oidc", "", "oidc.authority", "user name or password",
               {{"GATEHOUSE_OIDC_AUTHORITY", "https://a:b@login.example.com"}});
}

TEST(Validation, TlsFilesBothOrNeitherAndReadable) {
  gatehouse::testing::TempDir dir;
  std::ofstream(dir.file("cert.pem")) << "cert";
  const std::string cert = "tls_cert = \"" + dir.file("cert.pem") + "\"";
  expect_error("server", cert, "server.tls_cert", "server.tls_key is not; set both");
  expect_error("server", "tls_key = \"" + dir.file("cert.pem") + "\"", "server.tls_key",
               "server.tls_cert is not");
  expect_error("server", cert + "\ntls_key = \"" + dir.file("missing.pem") + "\"", "server.tls_key",
               "does not exist");
  expect_error("server", cert + "\ntls_key = \"" + dir.path().string() + "\"", "server.tls_key",
               "is a directory, not a regular file");
}

TEST(Validation, PositiveSizesAndTimeouts) {
  expect_error("server", "max_body = 0", "server.max_body", "larger than zero");
  expect_error("server", "read_timeout = \"0s\"", "server.read_timeout", "longer than zero");
  expect_error("server", "idle_timeout = \"0ms\"", "server.idle_timeout", "longer than zero");
  expect_error("session", "cleanup_interval = \"0s\"", "session.cleanup_interval",
               "longer than zero");
}

TEST(Validation, OidcClient) {
  expect_error("oidc", "", "oidc.client_id", "must not be empty",
               {{"GATEHOUSE_OIDC_CLIENT_ID", ""}});
  expect_error("oidc", "", "oidc.client_secret", "must not be empty",
               {{"GATEHOUSE_OIDC_CLIENT_SECRET", ""}});
  expect_error("oidc", "scopes = [\"profile\"]", "oidc.scopes", "must contain \"openid\"");
  expect_error("oidc", "scopes = [\"openid\", \"a b\"]", "oidc.scopes", "invalid scope \"a b\"");
  expect_error("oidc", "token_auth = \"private_key_jwt\"", "oidc.token_auth",
               "must be \"client_secret_basic\" or \"client_secret_post\"");
  expect_error("oidc", "clock_skew = \"5m1s\"", "oidc.clock_skew", "at most \"5m\"");
  EXPECT_EQ(load_ok(with("oidc", "clock_skew = \"5m\"")).oidc.clock_skew, 5min);
  EXPECT_EQ(load_ok(with("oidc", "clock_skew = \"0s\"")).oidc.clock_skew, 0s);
}

TEST(Validation, SessionLifetimes) {
  expect_error("session", "idle_timeout = \"2h\"\nmax_lifetime = \"1h\"", "session.max_lifetime",
               "must be at least session.idle_timeout (\"2h\"), got \"1h\"");
  EXPECT_EQ(load_ok(with("session", "idle_timeout = \"1h\"\nmax_lifetime = \"1h\"\n"))
                .session.max_lifetime,
            1h);
  expect_error("session", "renew_after = \"30m\"", "session.renew_after",
               "must be shorter than session.idle_timeout");
  EXPECT_EQ(load_ok(with("session", "renew_after = \"0s\"")).session.renew_after, 0s);
  expect_error("session", "idle_timeout = \"0s\"", "session.idle_timeout", "longer than zero");
}

TEST(Validation, SessionStoreAndPartition) {
  expect_error("session", "sqlite_path = \"\"", "session.sqlite_path", "must not be empty");
  load_ok(with("session", "store = \"memory\"\nsqlite_path = \"\""));
  expect_error("session", "partition = \"\"", "session.partition", "must not be empty");
  expect_error("session", "partition = \"" + std::string(201, 'a') + "\"", "session.partition",
               "at most 200 bytes, got 201");
  load_ok(with("session", "partition = \"" + std::string(200, 'a') + "\""));
  expect_error("session", "cleanup_batch = 100001", "session.cleanup_batch",
               "between 1 and 100000");
  EXPECT_EQ(load_ok(with("session", "cleanup_batch = 100000")).session.cleanup_batch, 100000);
  expect_error("session", "same_site = \"None\"", "session.same_site", "\"lax\" or \"strict\"");
}

TEST(Validation, PostgresStore) {
  expect_error("session", "store = \"postgres\"", "session.postgres_url", "must not be empty");
  const std::string pg =
      "store = \"postgres\"\npostgres_url = \"postgresql://u:pw@127.0.0.1/db\"\n";
  const auto c = load_ok(with("session", pg));
  EXPECT_EQ(c.session.store, StoreKind::postgres);
  EXPECT_EQ(c.session.postgres_pool, 8);
  EXPECT_EQ(c.session.postgres_schema, "gatehouse");
  EXPECT_TRUE(c.session.postgres_auto_migrate);
  expect_error("session", pg + "postgres_pool = 0", "session.postgres_pool",
               "from 1 to 256, got 0");
  expect_error("session", pg + "postgres_pool = 257", "session.postgres_pool", "got 257");
  EXPECT_EQ(load_ok(with("session", pg + "postgres_pool = 256")).session.postgres_pool, 256);
  expect_error("session", pg + "postgres_timeout = \"0s\"", "session.postgres_timeout",
               "longer than zero");
  for (auto bad : {"", "Gatehouse", "1abc", "a-b", "a;drop", "a.b"})
    expect_error("session", pg + "postgres_schema = \"" + std::string(bad) + "\"",
                 "session.postgres_schema", "must be a lower-case SQL name");
  load_ok(with("session", pg + "postgres_schema = \"bff_sessions_2\""));
  // Not required while another store is chosen.
  load_ok(with("session", "store = \"sqlite\"\npostgres_schema = \"\""));
}

TEST(Validation, RedisStore) {
  expect_error("session", "store = \"redis\"", "session.redis_url", "must not be empty");
  const std::string r = "store = \"redis\"\n";
  for (auto ok : {"redis://127.0.0.1:6379/0", "rediss://u:p@cache:6380", "redis+cluster://a:1,b:2"})
    EXPECT_EQ(load_ok(with("session", r + "redis_url = \"" + ok + "\"")).session.store,
              StoreKind::redis);
  const auto bad_url = single_error(with("session", r + "redis_url = \"http://u:hunter2@h\""));
  EXPECT_NE(bad_url.find("must start with redis://"), std::string::npos) << bad_url;
  EXPECT_EQ(bad_url.find("hunter2"), std::string::npos) << "the URL may carry a password";
  const std::string ok = r + "redis_url = \"redis://127.0.0.1:6379\"\n";
  for (const std::string& bad :
       {std::string{}, std::string{"a{b}"}, std::string{"a b"}, std::string(65, 'p')})
    expect_error("session", ok + "redis_prefix = \"" + bad + "\"", "session.redis_prefix",
                 "1 to 64 bytes");
  expect_error("session", ok + "redis_timeout = \"0s\"", "session.redis_timeout",
               "longer than zero");
}

TEST(Validation, CookieName) {
  for (auto bad : {"", "a b", "a;b", "sess=1", "caf\xc3\xa9", "a\\b"})
    expect_error("session", "cookie_name = \"" + std::string(bad) + "\"", "session.cookie_name",
                 "must be a cookie name");
  load_ok(with("session", "cookie_name = \"__Secure-gh.session_1\""));
}

TEST(Validation, SecureOnlyCookieNeedsHttpsOrLocalhost) {
  auto result = load_config_from_string(with_origin("http://app.example.com"), {});
  ASSERT_EQ(result.errors.size(), 1u) << all_problems(result.errors);
  EXPECT_EQ(result.errors[0].setting, "session.cookie_name");
  EXPECT_NE(result.errors[0].message.find("browsers refuse"), std::string::npos);

  // Localhost is a secure context for cookies, so local development works over http.
  EXPECT_TRUE(load_config_from_string(with_origin("http://localhost:8080"), {}).warnings.empty());

  // Without the prefix it runs, with a warning about the clear-text cookie.
  result = load_config_from_string(with_origin("http://app.example.com"),
                                   {{"GATEHOUSE_SESSION_COOKIE_NAME", "gatehouse"}});
  EXPECT_TRUE(result.ok()) << all_problems(result.errors);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_EQ(result.warnings[0].setting, "server.public_origin");
}

TEST(Validation, Frontend) {
  gatehouse::testing::TempDir dir;
  std::ofstream(dir.file("file")) << "x";
  expect_error("frontend", "static_dir = \"" + dir.file("missing") + "\"", "frontend.static_dir",
               "must be an existing directory");
  expect_error("frontend", "static_dir = \"" + dir.file("file") + "\"", "frontend.static_dir",
               "must be an existing directory");
}

TEST(Validation, BffBasePath) {
  for (auto ok : {"/bff", "/api/bff", "/_gatehouse-bff"})
    load_ok(with("bff", "base_path = \"" + std::string(ok) + "\""));
  for (auto bad : {"", "/", "bff", "/bff/", "/a//b", "/bff?x", "/b ff", "/b%20"})
    expect_error("bff", "base_path = \"" + std::string(bad) + "\"", "bff.base_path",
                 "must be a path like \"/bff\"");
}

TEST(Validation, KeysPath) {
  expect_error("keys", "path = \"\"", "keys.path", "must not be empty");
}

TEST(Validation, ABadValueIsReportedOnceNotAgainByLaterRules) {
  // max_lifetime is unparseable: no second complaint comparing it with idle_timeout.
  expect_error("session", "max_lifetime = \"forever\"", "session.max_lifetime", "not a duration");
}

TEST(Validation, SecretValuesNeverAppearInErrors) {
  auto result = load_config_from_string(with("oidc", "scopes = [\"profile\"]"),
                                        {{"GATEHOUSE_OIDC_AUTHORITY", "foo"}});
  EXPECT_EQ(all_problems(result.errors).find("s3cr3t-value"), std::string::npos);
  result = load_config_from_string(
      "[oidc]\nclient_secret = 42\nauthority = \"https://a\"\nclient_id=\"c\"\n", {});
  EXPECT_EQ(all_problems(result.errors).find("42"), std::string::npos)
      << all_problems(result.errors);
}

}  // namespace
}  // namespace gatehouse::config
