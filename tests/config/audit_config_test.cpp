// `[audit]`: the file, the webhook (https, or http on loopback; never echoed: it may carry a
// credential) and the queue bound.
#include "config/config.hpp"
#include "config_test_support.hpp"

#include <gtest/gtest.h>

namespace gatehouse::config {
namespace {

using testing::all_problems;
using testing::load_ok;
using testing::minimal_toml;
using testing::single_error;
using testing::with;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(AuditConfig, OffByDefault) {
  const auto c = load_ok(minimal_toml);
  EXPECT_FALSE(c.audit.enabled());
  EXPECT_FALSE(c.audit.file);
  EXPECT_TRUE(c.audit.webhook.empty());
  EXPECT_EQ(c.audit.queue, 10'000);
}

TEST(AuditConfig, FileWebhookAndQueueFromTheFileOrTheEnvironment) {
  auto c = load_ok(with("audit",
                        "file = \"/var/log/gatehouse/audit.jsonl\"\n"
                        "webhook = \"https://siem.example.com/in?key=abc\"\nqueue = 500"));
  EXPECT_TRUE(c.audit.enabled());
  EXPECT_EQ(c.audit.file, std::filesystem::path("/var/log/gatehouse/audit.jsonl"));
  EXPECT_EQ(c.audit.webhook, "https://siem.example.com/in?key=abc");
  EXPECT_EQ(c.audit.queue, 500);
  c = load_ok(minimal_toml, {{"GATEHOUSE_AUDIT_FILE", "/tmp/a.jsonl"},
                             {"GATEHOUSE_AUDIT_WEBHOOK", "http://127.0.0.1:9000/hook"},
                             {"GATEHOUSE_AUDIT_QUEUE", "20"}});
  EXPECT_EQ(c.audit.file, std::filesystem::path("/tmp/a.jsonl"));
  EXPECT_EQ(c.audit.webhook, "http://127.0.0.1:9000/hook");
  EXPECT_EQ(c.audit.queue, 20);
}

TEST(AuditConfig, WebhookMustBeHttpsBeyondLoopback) {
  for (const auto* url : {"http://localhost:8080/x", "http://[::1]:1/", "https://h.example/"})
    load_ok(with("audit", std::string("webhook = \"") + url + "\""));
  const auto plain = single_error(with("audit", "webhook = \"http://siem.example.com/in\""));
  EXPECT_TRUE(contains(plain, "audit.webhook")) << plain;
  EXPECT_TRUE(contains(plain, "must use https")) << plain;
}

TEST(AuditConfig, BadWebhooksNameTheSettingButNotTheUrl) {
  for (const auto* url :
       {"siem.example.com/in", "ftp://siem.example.com/", "https://u:p@h.example/",
        "https://h.example:99999/", "https://h.example/#frag"}) {
    auto result = load_config_from_string(with("audit", std::string("webhook = \"") + url + "\""),
                                          {}, "t.toml");
    ASSERT_EQ(result.errors.size(), 1u) << url << ": " << all_problems(result.errors);
    EXPECT_EQ(result.errors[0].setting, "audit.webhook");
    EXPECT_FALSE(contains(result.errors[0].message, url)) << result.errors[0].message;
  }
}

TEST(AuditConfig, QueueIsBounded) {
  EXPECT_TRUE(contains(single_error(with("audit", "queue = 0")), "audit.queue"));
  EXPECT_TRUE(contains(single_error(with("audit", "queue = 1000001")), "from 1 to 1000000"));
  load_ok(with("audit", "queue = 1"));
}

TEST(AuditConfig, DescribeMasksTheWebhook) {
  const auto text = describe(load_ok(
      with("audit", "webhook = \"https://siem.example.com/in?key=abc\"\nfile = \"/tmp/a\"")));
  EXPECT_TRUE(contains(text, "[audit]\nfile = \"/tmp/a\"\nwebhook = \"***\"\nqueue = 10000\n"))
      << text;
  EXPECT_FALSE(contains(text, "key=abc")) << text;
}

}  // namespace
}  // namespace gatehouse::config
