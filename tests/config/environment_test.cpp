// GATEHOUSE_<SECTION>_<KEY> overrides: precedence, conversions, unknown names, error sources.
#include "config/config.hpp"
#include "config/schema.hpp"
#include "config_test_support.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace gatehouse::config {
namespace {

using namespace std::chrono_literals;
using testing::all_problems;
using testing::load_ok;
using testing::minimal_toml;
using testing::single_error;
using testing::with;

TEST(Environment, OverridesBeatTheFile) {
  const Environment env{{"GATEHOUSE_SERVER_LISTEN", "0.0.0.0:9000"},
                        {"GATEHOUSE_OIDC_CLIENT_SECRET", "from-env"},
                        {"GATEHOUSE_SESSION_IDLE_TIMEOUT", "45m"}};
  const Config c = load_ok(with("server", "listen = \"127.0.0.1:1\""), env);
  EXPECT_EQ(c.server.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.oidc.client_secret, "from-env");
  EXPECT_EQ(c.session.idle_timeout, 45min);
}

TEST(Environment, EverySettingHasAVariable) {
  EXPECT_EQ(find_setting("oidc", "client_secret")->env_var(), "GATEHOUSE_OIDC_CLIENT_SECRET");
  EXPECT_EQ(find_setting("session", "idle_timeout")->env_var(), "GATEHOUSE_SESSION_IDLE_TIMEOUT");
  EXPECT_EQ(find_setting("frontend", "static_dir")->env_var(), "GATEHOUSE_FRONTEND_STATIC_DIR");
  for (const auto& s : all_settings()) EXPECT_EQ(find_setting_by_env(s.env_var()), &s);
}

TEST(Environment, ArraysAreCommaSeparated) {
  const Config c = load_ok(minimal_toml, {{"GATEHOUSE_OIDC_SCOPES", "openid, profile,,api "}});
  EXPECT_EQ(c.oidc.scopes, (std::vector<std::string>{"openid", "profile", "api"}));
}

TEST(Environment, Booleans) {
  for (const auto& [text, expected] : std::vector<std::pair<std::string, bool>>{
           {"true", true}, {"1", true}, {"TRUE", true}, {"false", false}, {"0", false}}) {
    const Config c = load_ok(minimal_toml, {{"GATEHOUSE_FRONTEND_SPA_FALLBACK", text}});
    EXPECT_EQ(c.frontend.spa_fallback, expected) << text;
  }
  EXPECT_EQ(single_error(minimal_toml, {{"GATEHOUSE_FRONTEND_SPA_FALLBACK", "yes"}}),
            "frontend.spa_fallback: must be true, false, 1 or 0, got \"yes\" "
            "(from GATEHOUSE_FRONTEND_SPA_FALLBACK)");
}

TEST(Environment, IntegersSizesAndChoices) {
  const Config c = load_ok(minimal_toml, {{"GATEHOUSE_SESSION_CLEANUP_BATCH", "250"},
                                          {"GATEHOUSE_SERVER_MAX_BODY", "64KiB"},
                                          {"GATEHOUSE_OIDC_TOKEN_AUTH", "client_secret_post"},
                                          {"GATEHOUSE_SESSION_STORE", "memory"}});
  EXPECT_EQ(c.session.cleanup_batch, 250);
  EXPECT_EQ(c.server.max_body, 64u * 1024);
  EXPECT_EQ(c.oidc.token_auth, TokenAuth::client_secret_post);
  EXPECT_EQ(c.session.store, StoreKind::memory);
  EXPECT_EQ(single_error(minimal_toml, {{"GATEHOUSE_SESSION_CLEANUP_BATCH", "12abc"}}),
            "session.cleanup_batch: must be an integer, got \"12abc\" "
            "(from GATEHOUSE_SESSION_CLEANUP_BATCH)");
}

TEST(Environment, EmptyValueUnsetsAnOptionalPath) {
  gatehouse::testing::TempDir dir;
  const Config c = load_ok(with("frontend", "static_dir = \"" + dir.path().string() + "\""),
                           {{"GATEHOUSE_FRONTEND_STATIC_DIR", ""}});
  EXPECT_FALSE(c.frontend.static_dir);
}

TEST(Environment, ValidationErrorsNameTheVariable) {
  const auto error = single_error(minimal_toml, {{"GATEHOUSE_OIDC_AUTHORITY", "foo"}});
  EXPECT_EQ(error,
            "oidc.authority: must be an absolute http(s) URL, got \"foo\" "
            "(from GATEHOUSE_OIDC_AUTHORITY)");
}

TEST(Environment, RequiredSettingsMayComeOnlyFromTheEnvironment) {
  const Config c = load_ok("", {{"GATEHOUSE_SERVER_PUBLIC_ORIGIN", "https://a.example"},
                                {"GATEHOUSE_OIDC_AUTHORITY", "https://idp.example"},
                                {"GATEHOUSE_OIDC_CLIENT_ID", "c"},
                                {"GATEHOUSE_OIDC_CLIENT_SECRET", "s"}});
  EXPECT_EQ(c.oidc.client_id, "c");
}

TEST(Environment, UnknownVariableInOurSectionsIsAnErrorWithSuggestion) {
  EXPECT_EQ(single_error(minimal_toml, {{"GATEHOUSE_SERVER_LISEN", "x"}}),
            "environment: unknown variable GATEHOUSE_SERVER_LISEN — did you mean "
            "GATEHOUSE_SERVER_LISTEN?");
}

TEST(Environment, OtherGatehouseVariablesAreIgnored) {
  // Names outside our sections (the CLI's own, other programs') change nothing and say nothing.
  const Environment stray{{"GATEHOUSE_CONFIG", "/etc/gatehouse.toml"},
                          {"GATEHOUSE_HOME", "/var/lib/gatehouse"},
                          {"GATEHOUSE_BIN", "/usr/bin/gatehouse"},
                          {"PATH", "/usr/bin"}};
  const auto with_stray = load_config_from_string(minimal_toml, stray);
  const auto without = load_config_from_string(minimal_toml, {});
  ASSERT_TRUE(with_stray.ok()) << all_problems(with_stray.errors);
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(describe(*with_stray.config), describe(*without.config));
  EXPECT_EQ(all_problems(with_stray.warnings), all_problems(without.warnings));
  EXPECT_TRUE(with_stray.errors.empty());
}

TEST(Environment, ProcessEnvironmentKeepsOnlyGatehouseVariables) {
  ::setenv("GATEHOUSE_TEST_PROCESS_ENV", "a=b", 1);
  const Environment env = process_environment();
  ::unsetenv("GATEHOUSE_TEST_PROCESS_ENV");
  ASSERT_EQ(env.count("GATEHOUSE_TEST_PROCESS_ENV"), 1u);
  EXPECT_EQ(env.at("GATEHOUSE_TEST_PROCESS_ENV"), "a=b");
  for (const auto& [name, value] : env) EXPECT_TRUE(name.starts_with("GATEHOUSE_")) << name;
}

}  // namespace
}  // namespace gatehouse::config
