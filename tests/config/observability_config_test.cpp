// `[metrics]` and `[log]`: defaults, choices, the environment, the listen address checks and
// describe().
#include "config/config.hpp"
#include "config_test_support.hpp"

#include <gtest/gtest.h>

namespace gatehouse::config {
namespace {

using testing::all_problems;
using testing::load_ok;
using testing::minimal_toml;
using testing::with;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(LogConfig, DefaultsAreAutoAndInfo) {
  const auto c = load_ok(minimal_toml);
  EXPECT_EQ(c.log.format, LogFormat::automatic);
  EXPECT_EQ(c.log.level, LogLevel::info);
  EXPECT_FALSE(c.metrics.own_listener());
  const auto text = describe(c);
  EXPECT_TRUE(contains(text, "format = \"auto\"  # text when stderr is a terminal")) << text;
  EXPECT_TRUE(contains(text, "level = \"info\"")) << text;
  EXPECT_TRUE(c.log.access);
  EXPECT_TRUE(contains(text, "access = true")) << text;
}

TEST(LogConfig, FromTheFileAndTheEnvironment) {
  auto c = load_ok(with("log", "format = \"json\"\nlevel = \"trace\""));
  EXPECT_EQ(c.log.format, LogFormat::json);
  EXPECT_EQ(c.log.level, LogLevel::trace);
  c = load_ok(minimal_toml, {{"GATEHOUSE_LOG_FORMAT", "text"}, {"GATEHOUSE_LOG_LEVEL", "warn"}});
  EXPECT_EQ(c.log.format, LogFormat::text);
  EXPECT_EQ(c.log.level, LogLevel::warn);
  EXPECT_FALSE(load_ok(with("log", "access = false")).log.access);
  EXPECT_FALSE(load_ok(minimal_toml, {{"GATEHOUSE_LOG_ACCESS", "false"}}).log.access);
}

TEST(LogConfig, UnknownWordsAreRefusedWithTheChoices) {
  auto result = load_config_from_string(with("log", "format = \"xml\""), {}, "t.toml");
  ASSERT_EQ(result.errors.size(), 1u) << all_problems(result.errors);
  EXPECT_EQ(result.errors[0].setting, "log.format");
  EXPECT_TRUE(contains(result.errors[0].message, "\"json\"")) << result.errors[0].message;
  result = load_config_from_string(minimal_toml, {{"GATEHOUSE_LOG_LEVEL", "verbose"}}, "t.toml");
  ASSERT_EQ(result.errors.size(), 1u) << all_problems(result.errors);
  EXPECT_EQ(result.errors[0].setting, "log.level");
  EXPECT_EQ(result.errors[0].env_var, "GATEHOUSE_LOG_LEVEL");
}

TEST(MetricsConfig, ListenerOfItsOwn) {
  const auto c = load_ok(with("metrics", "listen = \"127.0.0.1:9464\""));
  EXPECT_TRUE(c.metrics.own_listener());
  EXPECT_TRUE(contains(describe(c), "listen = \"127.0.0.1:9464\"")) << describe(c);
  EXPECT_EQ(load_ok(minimal_toml, {{"GATEHOUSE_METRICS_LISTEN", "[::1]:9464"}}).metrics.listen,
            "[::1]:9464");
}

TEST(MetricsConfig, BadOrClashingAddressesAreRefused) {
  auto result = load_config_from_string(with("metrics", "listen = \"9464\""), {}, "t.toml");
  ASSERT_EQ(result.errors.size(), 1u) << all_problems(result.errors);
  EXPECT_EQ(result.errors[0].setting, "metrics.listen");
  result = load_config_from_string(with("metrics", "listen = \"127.0.0.1:8080\""), {}, "t.toml");
  ASSERT_EQ(result.errors.size(), 1u) << all_problems(result.errors);
  EXPECT_TRUE(contains(result.errors[0].message, "server.listen")) << result.errors[0].message;
  result = load_config_from_string(with("metrics", "listen = \"127.0.0.1:8081\"") +
                                       "\n[admin]\ntoken = \"0123456789abcdef0123456789abcdef\"\n",
                                   {}, "t.toml");
  ASSERT_EQ(result.errors.size(), 1u) << all_problems(result.errors);
  EXPECT_TRUE(contains(result.errors[0].message, "admin.listen")) << result.errors[0].message;
}

}  // namespace
}  // namespace gatehouse::config
