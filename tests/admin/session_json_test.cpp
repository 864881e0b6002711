// The operator view of a session, shared by the CLI and the admin API.
#include "admin/session_json.hpp"

#include "crypto/key_ring.hpp"
#include "tickets/ticket.hpp"

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
            R"("expires":"2027-01-15T09:00:00Z","expired":false,)"
            R"("device":null,"address":null,"last_seen":"2027-01-15T08:01:30Z"})");
  EXPECT_EQ(operator_session_id(s.key), "AbCdEfGhIjKl");
}

TEST(SessionJson, DeviceAndAddressComeFromTheSealedTicketWhenTheRingOpensIt) {
  const auto ring = crypto::KeyRing::generate();
  tickets::SessionTicket t;
  t.id_token = "id";
  t.access_token = "secret-access-token";
  t.refresh_token = "secret-refresh-token";
  t.client = tickets::LoginClient{"Edge 120 on Windows", "203.0.113.5"};
  UserSession s{.key = "key-1", .subject_id = "alice", .created = t0, .renewed = t0 + 5min};
  s.ticket = ring.seal(tickets::serialize_ticket(t), s.key);
  const auto o = session_json(s, t0, &ring);
  EXPECT_EQ(o.at("device"), "Edge 120 on Windows");
  EXPECT_EQ(o.at("address"), "203.0.113.5");
  EXPECT_EQ(o.at("last_seen"), "2027-01-15T08:05:00Z");
  const auto text = boost::json::serialize(o);
  EXPECT_EQ(text.find("secret-"), std::string::npos) << "never a token";
  // Without a ring, with a ring that lacks the key, or a ticket from before clients were
  // recorded: null.
  EXPECT_TRUE(session_json(s, t0).at("device").is_null());
  const auto other = crypto::KeyRing::generate();
  EXPECT_TRUE(session_json(s, t0, &other).at("device").is_null());
  t.client.reset();
  s.ticket = ring.seal(tickets::serialize_ticket(t), s.key);
  EXPECT_TRUE(session_json(s, t0, &ring).at("address").is_null());
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
