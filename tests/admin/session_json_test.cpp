// The operator view of a session, shared by the CLI and the admin API.
#include "admin/session_json.hpp"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace gatehouse::admin {
namespace {

using namespace std::chrono_literals;

const Timestamp t0 = Timestamp(1'800'000'000'000ms);  // 2027-01-15T08:00:00Z

TEST(SessionJson, ShowsIdsAndTimesButNoSecrets) {
  UserSession s{.key = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefg",
                .partition_key = "app",
                .subject_id = "alice",
                .session_id = "sid-1",
                .created = t0,
                .renewed = t0 + 90s,
                .expires = t0 + 1h,
                .ticket = "sealed"};
  const auto o = session_json(s, t0 + 10min);
  EXPECT_EQ(boost::json::serialize(o),
            R"({"id":"AbCdEfGhIjKl","subject":"alice","sid":"sid-1",)"
            R"("created":"2027-01-15T08:00:00Z","renewed":"2027-01-15T08:01:30Z",)"
            R"("expires":"2027-01-15T09:00:00Z","expired":false})");
  EXPECT_EQ(operator_session_id(s.key), "AbCdEfGhIjKl");
}

TEST(SessionJson, MissingSidAndExpiryAreNullAndExpiryIsJudgedByNow) {
  UserSession s{.key = "k", .subject_id = "bob", .created = t0, .renewed = t0};
  auto o = session_json(s, t0 + 1000h);
  EXPECT_TRUE(o.at("sid").is_null());
  EXPECT_TRUE(o.at("expires").is_null());
  EXPECT_EQ(o.at("expired"), false) << "a session without expiry never expires by time";
  s.expires = t0 + 1h;
  EXPECT_EQ(session_json(s, t0 + 1h - 1ms).at("expired"), false);
  EXPECT_EQ(session_json(s, t0 + 1h).at("expired"), true);
}

}  // namespace
}  // namespace gatehouse::admin
