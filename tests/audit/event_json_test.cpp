#include "audit/event_json.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace gatehouse::audit {
namespace {

Timestamp at(std::int64_t ms) {
  return Timestamp(std::chrono::milliseconds(ms));
}

TEST(AuditEventJson, TimeHasMillisecondsInUtc) {
  // 2026-12-01T10:00:00.123Z
  EXPECT_EQ(format_time(at(1'796'119'200'123)), "2026-12-01T10:00:00.123Z");
  EXPECT_EQ(format_time(at(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_time(at(1'796'119'200'005)), "2026-12-01T10:00:00.005Z");
}

TEST(AuditEventJson, EndedSessionHasEveryFieldInOrder) {
  events::SessionEvent e;
  e.kind = events::EventKind::session_ended;
  e.time = at(1'796'119'200'123);
  e.partition = "app";
  e.subject = "alice";
  e.sid = "sid-1";
  e.session_id = "AbCdEfGhIjKlMnOpQrStUv";
  e.client_address = "203.0.113.7";
  e.user_agent = "Mozilla/5.0 \"quoted\"";
  e.reason = events::EndReason::logout;
  e.actor = events::Actor::user;
  EXPECT_EQ(event_json(e),
            R"({"time":"2026-12-01T10:00:00.123Z","event":"session_ended","partition":"app",)"
            R"("sub":"alice","sid":"sid-1","session_id":"AbCdEfGhIjKlMnOpQrStUv",)"
            R"("client_address":"203.0.113.7","user_agent":"Mozilla/5.0 \"quoted\"",)"
            R"("reason":"logout","actor":"user","count":1})");
}

TEST(AuditEventJson, EmptyOptionalFieldsAreLeftOut) {
  events::SessionEvent e;
  e.kind = events::EventKind::admin_action;
  e.time = at(0);
  e.partition = "app";
  e.actor = events::Actor::admin;
  e.action = "cleanup";
  e.count = 42;
  const auto text = event_json(e);
  EXPECT_EQ(text, R"({"time":"1970-01-01T00:00:00.000Z","event":"admin_action","partition":"app",)"
                  R"("actor":"admin","action":"cleanup","count":42})");
  EXPECT_EQ(text.find('\n'), std::string::npos);
}

TEST(AuditEventJson, HostileValuesStayInsideTheirStrings) {
  events::SessionEvent e;
  e.kind = events::EventKind::session_started;
  e.subject = "a\"b\n{\"event\":\"fake\"}\x01";
  const auto text = event_json(e);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const auto parsed = boost::json::parse(text).as_object();
  EXPECT_EQ(parsed.at("sub").as_string(), e.subject);
  EXPECT_EQ(parsed.at("event").as_string(), "session_started");
}

TEST(AuditEventJson, UserAgentsAreCutAndCleaned) {
  EXPECT_EQ(events::clean_user_agent("curl/8.5\r\nX-Evil: 1\x7f"), "curl/8.5X-Evil: 1");
  EXPECT_EQ(events::clean_user_agent(std::string(1000, 'a')).size(), events::kMaxEventUserAgent);
  EXPECT_EQ(events::clean_user_agent("caf\xc3\xa9"), "caf");
}

}  // namespace
}  // namespace gatehouse::audit
