// describe() output, and the documentation kept honest: the example loads, every setting is
// documented with its environment variable.
#include "config/config.hpp"
#include "config/schema.hpp"
#include "config_test_support.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace gatehouse::config {
namespace {

using testing::all_problems;
using testing::load_ok;
using testing::minimal_toml;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(Describe, ShowsEverySettingWithTheSecretMasked) {
  const std::string text = describe(load_ok(minimal_toml));
  EXPECT_FALSE(contains(text, "s3cr3t-value")) << text;
  EXPECT_TRUE(contains(text, "client_secret = \"***\"")) << text;
  for (const auto& s : all_settings()) EXPECT_TRUE(contains(text, s.key)) << s.name();
  EXPECT_TRUE(contains(text, "[server]\nlisten = \"127.0.0.1:8080\"\n")) << text;
  EXPECT_TRUE(contains(text, "scopes = [\"openid\", \"profile\", \"email\", \"offline_access\"]"));
  EXPECT_TRUE(contains(text, "max_body = \"1MiB\""));
  EXPECT_TRUE(contains(text, "idle_timeout = \"30m\""));
  EXPECT_TRUE(contains(text, "cleanup_batch = 1000"));
  EXPECT_TRUE(contains(text, "# tls_cert is not set"));
  EXPECT_TRUE(contains(text, "redirect URI: https://app.example.com/signin-oidc"));
  EXPECT_TRUE(contains(text, "Secure, Path=/, with no Domain"));
}

TEST(Describe, MasksStoreUrlsThatCarryPasswords) {
  const std::string text = describe(load_ok(
      minimal_toml, {{"GATEHOUSE_SESSION_STORE", "postgres"},
                     {"GATEHOUSE_SESSION_POSTGRES_URL", "postgresql://gh:pg-pass-1@127.0.0.1/db"},
                     {"GATEHOUSE_SESSION_REDIS_URL", "redis://gh:redis-pass-2@127.0.0.1:6379"}}));
  EXPECT_FALSE(contains(text, "pg-pass-1")) << text;
  EXPECT_FALSE(contains(text, "redis-pass-2")) << text;
  EXPECT_TRUE(contains(text, "postgres_url = \"***\"")) << text;
  EXPECT_TRUE(contains(text, "redis_url = \"***\"")) << text;
}

TEST(Describe, OutputLoadsBackToTheSameConfig) {
  // Minus the masked secret and commented-out unset paths, the dump is a valid config file.
  Environment env{{"GATEHOUSE_OIDC_CLIENT_SECRET", "s3cr3t-value"}};
  const Config original = load_ok(minimal_toml, {{"GATEHOUSE_SESSION_IDLE_TIMEOUT", "1h30m"}});
  std::string dump = describe(original);
  dump.replace(dump.find("client_secret = \"***\""), 21, "");
  const std::string again = describe(load_ok(dump, env));
  EXPECT_EQ(again, describe(original));
}

TEST(Describe, EscapesStrings) {
  Config c = load_ok(minimal_toml);
  c.session.partition = "a\"b\\c\n";
  EXPECT_TRUE(contains(describe(c), R"(partition = "a\"b\\c\n")")) << describe(c);
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(Docs, ExampleFileLoadsWithTheSecretFromTheEnvironment) {
  auto result = load_config(std::string(GATEHOUSE_DOCS_DIR) + "/gatehouse.example.toml",
                            {{"GATEHOUSE_OIDC_CLIENT_SECRET", "from-env"}});
  ASSERT_TRUE(result.ok()) << all_problems(result.errors);
  EXPECT_TRUE(result.warnings.empty()) << all_problems(result.warnings);
  EXPECT_EQ(result.config->oidc.client_secret, "from-env");
}

TEST(Docs, ExampleFileWithoutTheSecretSaysSo) {
  auto result = load_config(std::string(GATEHOUSE_DOCS_DIR) + "/gatehouse.example.toml", {});
  ASSERT_EQ(result.errors.size(), 1u) << all_problems(result.errors);
  EXPECT_EQ(result.errors[0].setting, "oidc.client_secret");
}

TEST(Docs, EverySettingIsDocumentedWithItsVariable) {
  const std::string doc = read(std::string(GATEHOUSE_DOCS_DIR) + "/configuration.md");
  const std::string example = read(std::string(GATEHOUSE_DOCS_DIR) + "/gatehouse.example.toml");
  for (const auto& s : all_settings()) {
    EXPECT_TRUE(contains(doc, "`" + std::string(s.key) + "`")) << s.name();
    EXPECT_TRUE(contains(doc, s.env_var())) << s.name();
    EXPECT_TRUE(contains(example, std::string(s.key))) << s.name();
  }
}

}  // namespace
}  // namespace gatehouse::config
