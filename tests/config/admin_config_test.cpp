// `[admin]`: the token that guards the admin API (length, alphabet, from the environment), the
// warning for a listener beyond loopback, and describe() never printing the token.
#include "config/config.hpp"
#include "config_test_support.hpp"

#include <gtest/gtest.h>

namespace gatehouse::config {
namespace {

using testing::all_problems;
using testing::load_ok;
using testing::minimal_toml;
using testing::with;

constexpr std::string_view good_token = "0123456789abcdef0123456789abcdef";  // 32 characters

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// The single error for `[admin] token = value`; it names admin.token and never shows the value.
std::string token_error(const std::string& value) {
  auto result = load_config_from_string(with("admin", "token = \"" + value + "\""), {}, "t.toml");
  EXPECT_EQ(result.errors.size(), 1u) << all_problems(result.errors);
  if (result.errors.empty()) return {};
  EXPECT_EQ(result.errors[0].setting, "admin.token");
  EXPECT_FALSE(contains(all_problems(result.errors), value)) << "the token is a secret";
  return result.errors[0].to_string();
}

TEST(AdminConfig, DisabledWithoutAToken) {
  const auto c = load_ok(minimal_toml);
  EXPECT_FALSE(c.admin.enabled());
  EXPECT_EQ(c.admin.listen, "127.0.0.1:8081");
}

TEST(AdminConfig, TokenFromTheFileOrTheEnvironment) {
  auto c = load_ok(with("admin", "token = \"" + std::string(good_token) + "\""));
  EXPECT_TRUE(c.admin.enabled());
  EXPECT_EQ(c.admin.token, good_token);
  const std::string from_env = std::string(good_token) + "-from-env";
  c = load_ok(with("admin", "token = \"" + std::string(good_token) + "\""),
              {{"GATEHOUSE_ADMIN_TOKEN", from_env}});
  EXPECT_EQ(c.admin.token, from_env) << "the environment overrides the file";
  c = load_ok(minimal_toml, {{"GATEHOUSE_ADMIN_TOKEN", std::string(good_token)}});
  EXPECT_TRUE(c.admin.enabled());
}

TEST(AdminConfig, TokenMustBeLongEnough) {
  EXPECT_TRUE(contains(token_error("too-short-admin-token"), "at least 32 characters"));
  EXPECT_TRUE(contains(token_error(std::string(good_token).substr(1)), "got 31"));
  auto result = load_config_from_string(minimal_toml, {{"GATEHOUSE_ADMIN_TOKEN", "short"}}, "t");
  ASSERT_EQ(result.errors.size(), 1u) << all_problems(result.errors);
  EXPECT_EQ(result.errors[0].setting, "admin.token");
}

TEST(AdminConfig, TokenMustBeVisibleAsciiWithoutSpaces) {
  const std::string token(good_token);
  for (const auto& bad : {token + " more", " " + token, token + "\\t", token + "\u00e9"})
    EXPECT_TRUE(contains(token_error(bad), "visible ASCII without spaces")) << bad;
}

TEST(AdminConfig, WarnsWhenTheListenerIsNotLoopback) {
  const std::string token = "token = \"" + std::string(good_token) + "\"";
  for (const auto* loopback : {"127.0.0.1:8081", "[::1]:9000", "localhost:8081"}) {
    auto result = load_config_from_string(
        with("admin", token + "\nlisten = \"" + std::string(loopback) + "\""), {}, "t.toml");
    EXPECT_TRUE(result.ok()) << all_problems(result.errors);
    EXPECT_TRUE(result.warnings.empty()) << loopback << ": " << all_problems(result.warnings);
  }
  auto result =
      load_config_from_string(with("admin", token + "\nlisten = \"0.0.0.0:8081\""), {}, "t.toml");
  EXPECT_TRUE(result.ok()) << all_problems(result.errors);
  ASSERT_EQ(result.warnings.size(), 1u) << all_problems(result.warnings);
  EXPECT_EQ(result.warnings[0].setting, "admin.listen");
  auto bad = load_config_from_string(with("admin", "listen = \"8081\""), {}, "t.toml");
  ASSERT_EQ(bad.errors.size(), 1u) << all_problems(bad.errors);
  EXPECT_EQ(bad.errors[0].setting, "admin.listen");
}

TEST(AdminConfig, DescribeMasksTheToken) {
  const auto unset = describe(load_ok(minimal_toml));
  EXPECT_TRUE(contains(unset, "[admin]\nlisten = \"127.0.0.1:8081\"\n# token is not set\n"))
      << unset;
  const auto set =
      describe(load_ok(minimal_toml, {{"GATEHOUSE_ADMIN_TOKEN", std::string(good_token)}}));
  EXPECT_TRUE(contains(set, "token = \"***\"")) << set;
  EXPECT_FALSE(contains(set, good_token)) << set;
}

}  // namespace
}  // namespace gatehouse::config
