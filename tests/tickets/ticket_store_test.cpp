#include "tickets/ticket_store.hpp"

#include <gatehouse/stores/memory_user_session_store.hpp>

#include "support/run.hpp"
#include "tickets/failing_store.hpp"
#include "tickets/handle.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <set>
#include <sstream>

namespace gatehouse::testing {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using tickets::SessionTicket;
using tickets::TicketStore;

SessionTicket ticket_for(std::string sub) {
  SessionTicket t;
  t.claims["sub"] = sub;
  t.claims["name"] = "Alice Example";
  t.id_token = "id-token-" + sub;
  t.access_token = "access-token-secret-" + sub;
  t.refresh_token = "refresh-token-secret-" + sub;
  return t;
}

class TicketStoreTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  std::shared_ptr<InMemoryUserSessionStore> memory_ = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app", .clock = clock_.clock()});
  std::shared_ptr<SwitchableStore> store_ = std::make_shared<SwitchableStore>(memory_);
  std::shared_ptr<crypto::KeyRing> keys_ =
      std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate());
  TicketStore tickets_{
      store_,
      keys_,
      {.idle_timeout = minutes(30), .max_lifetime = minutes(120), .renew_after = minutes(1)},
      clock_.clock()};
  boost::asio::io_context io_;

  tickets::IssuedSession login(std::string sub, std::optional<std::string> sid) {
    auto issued = run(io_, tickets_.create(sub, sid, ticket_for(sub)));
    EXPECT_TRUE(issued) << issued.error().message();
    return *issued;
  }
  std::optional<tickets::ActiveSession> load(const std::string& handle, bool slide = true) {
    auto r = run(io_, tickets_.load(handle, slide));
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : std::nullopt;
  }
};

TEST_F(TicketStoreTest, HandleIsRandomAndOnlyItsHashIsStored) {
  auto a = login("alice", "s1");
  auto b = login("alice", "s2");
  EXPECT_EQ(a.handle.size(), 43u);
  EXPECT_NE(a.handle, b.handle);
  EXPECT_NE(a.key, a.handle);
  auto stored = run(io_, memory_->get_user_session(a.key));
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->session_id, "s1");
  EXPECT_EQ((*stored)->ticket.find("access-token-secret"), std::string::npos);
  EXPECT_EQ((*stored)->ticket.find(a.handle), std::string::npos);
  EXPECT_FALSE(run(io_, memory_->get_user_session(a.handle))->has_value());
  auto active = load(a.handle);
  ASSERT_TRUE(active);
  EXPECT_EQ(active->ticket(), ticket_for("alice"));
}

TEST_F(TicketStoreTest, MalformedOrUnknownHandlesAreAnonymous) {
  login("alice", "s1");
  for (std::string bad :
       std::vector<std::string>{"", "x", std::string(43, '!'), std::string(44, 'A'),
                                std::string(43, 'A') + "\n", std::string(42, 'A') + "="})
    EXPECT_FALSE(load(bad)) << bad;
  EXPECT_FALSE(load(std::string(43, 'A')));  // well-formed, but no such session
}

TEST_F(TicketStoreTest, IdleTimeoutEndsTheSessionAndRemovesIt) {
  auto s = login("alice", "s1");
  clock_.advance(minutes(29));
  EXPECT_TRUE(load(s.handle, false));
  clock_.advance(minutes(1));
  EXPECT_FALSE(load(s.handle));
  EXPECT_FALSE(run(io_, memory_->get_user_session(s.key))->has_value());
}

TEST_F(TicketStoreTest, SlidingIsThrottledAndCappedByMaxLifetime) {
  auto s = login("alice", "s1");
  clock_.advance(seconds(30));
  auto first = load(s.handle);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->session.renewed, clock_.now() - seconds(30)) << "renewed within renew_after";
  clock_.advance(seconds(31));
  auto second = load(s.handle);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->session.renewed, clock_.now());
  EXPECT_EQ(second->expires, clock_.now() + minutes(30));
  // Keep it busy: it still ends at max_lifetime.
  for (int i = 0; i < 5; ++i) {
    clock_.advance(minutes(20));
    ASSERT_TRUE(load(s.handle)) << i;
  }
  auto late = load(s.handle);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->expires, second->session.created + minutes(120));
  clock_.advance(minutes(120));
  EXPECT_FALSE(load(s.handle));
}

TEST_F(TicketStoreTest, SlideFalseNeverWrites) {
  auto s = login("alice", "s1");
  clock_.advance(minutes(10));
  auto a = load(s.handle, false);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->session.renewed, clock_.now() - minutes(10));
}

TEST_F(TicketStoreTest, ReLoginWithSameSidReplacesOnlyThatSession) {
  auto first = login("alice", "sid-1");
  auto other = login("alice", "sid-2");
  auto no_sid = login("alice", std::nullopt);
  auto again = login("alice", "sid-1");
  EXPECT_FALSE(load(first.handle));
  EXPECT_TRUE(load(other.handle));
  EXPECT_TRUE(load(no_sid.handle));
  EXPECT_TRUE(load(again.handle));
  auto another_no_sid = login("alice", std::nullopt);
  EXPECT_TRUE(load(no_sid.handle)) << "a login without sid never ends other sessions";
  EXPECT_TRUE(load(another_no_sid.handle));
}

TEST_F(TicketStoreTest, TicketIsBoundToItsSessionKey) {
  auto a = login("alice", "s1");
  auto b = login("bob", "s2");
  auto stored_a = *run(io_, memory_->get_user_session(a.key));
  auto stored_b = *run(io_, memory_->get_user_session(b.key));
  UserSessionUpdate swap{stored_b->subject_id, stored_b->session_id, stored_b->created,
                         stored_b->renewed,    stored_b->expires,    stored_a->ticket};
  ASSERT_TRUE(run(io_, memory_->update_user_session(b.key, swap)));
  EXPECT_FALSE(load(b.handle)) << "alice's ticket must not open as bob's session";
}

TEST_F(TicketStoreTest, AFailingStoreIsLoggedOnceASecondNotPerRequest) {
  auto s = login("alice", "s1");
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  store_->down = true;
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(run(io_, tickets_.load(s.handle, true)));
  store_->down = false;
  EXPECT_TRUE(load(s.handle));
  spdlog::set_default_logger(previous);
  const auto text = log.str();
  EXPECT_NE(text.find("session store: get failed: "), std::string::npos) << text;
  // 50 failures within a second: one line (a slow machine may cross a second: two).
  const auto lines = std::count(text.begin(), text.end(), '\n');
  EXPECT_GE(lines, 1);
  EXPECT_LE(lines, 2) << text;
  EXPECT_EQ(text.find(s.handle), std::string::npos) << text;
  EXPECT_EQ(text.find(s.key), std::string::npos) << text;
}

TEST_F(TicketStoreTest, TicketFromAnotherKeyRingIsAnonymous) {
  auto s = login("alice", "s1");
  TicketStore foreign{
      store_, std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate()), {}, clock_.clock()};
  auto r = run(io_, foreign.load(s.handle, true));
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
}

TEST_F(TicketStoreTest, StoreOutageIsAnErrorNotAnonymousAndDeletesNothing) {
  auto s = login("alice", "s1");
  store_->down = true;
  auto r = run(io_, tickets_.load(s.handle, true));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), StoreErrc::unavailable);
  auto c = run(io_, tickets_.create("bob", "s9", ticket_for("bob")));
  ASSERT_FALSE(c);
  store_->down = false;
  EXPECT_TRUE(load(s.handle));
}

// A sliding renewal that read the session before a refresh stored new tokens must not put the
// old ticket back (on this instance or another: the write is a compare-and-set).
TEST_F(TicketStoreTest, ASlideNeverOverwritesTokensStoredMeanwhile) {
  auto issued = login("alice", "s1");
  clock_.advance(minutes(2));
  // The renewal reads the session, then (before its write lands) a refresh stores new tokens.
  auto raced = load(issued.handle, false);
  ASSERT_TRUE(raced);
  auto refreshed = run(io_, tickets_.update_ticket(issued.key, [](SessionTicket& t) {
    t.access_token = "new-access";
    t.refresh_token = "new-refresh";
  }));
  ASSERT_TRUE(refreshed && *refreshed);
  UserSessionUpdate stale{
      raced->session.subject_id, raced->session.session_id, raced->session.created, clock_.now(),
      raced->session.expires,    raced->session.ticket,     raced->session.version};
  auto write = run(io_, store_->update_user_session(issued.key, stale));
  ASSERT_FALSE(write) << "the store refuses the stale write";
  EXPECT_EQ(write.error(), StoreErrc::conflict);
  // The same race through load(slide): the renewal loses quietly and the tokens stay.
  auto active = load(issued.handle, true);
  ASSERT_TRUE(active);
  EXPECT_EQ(active->ticket().access_token, "new-access");
  EXPECT_EQ(tickets_.refresh_token(active->session), "new-refresh");
}

TEST_F(TicketStoreTest, UpdateTicketReappliesItsChangeOverAConcurrentWriter) {
  auto issued = login("alice", "s1");
  clock_.advance(minutes(2));
  int applied = 0;
  auto updated = run(io_, tickets_.update_ticket(issued.key, [&](SessionTicket& t) {
    if (applied++ == 0) {
      // Another instance slides the session between this read and this write.
      boost::asio::io_context elsewhere;
      auto slid = run(elsewhere, tickets_.load(issued.handle, true));
      ASSERT_TRUE(slid && *slid);
    }
    t.access_token = "refreshed";
  }));
  ASSERT_TRUE(updated && *updated);
  EXPECT_EQ(applied, 2) << "the change is applied again over the newer version";
  auto now = load(issued.handle, false);
  ASSERT_TRUE(now);
  EXPECT_EQ(now->ticket().access_token, "refreshed");
  EXPECT_EQ(now->session.renewed, clock_.now()) << "and the slide's renewal stands";
  EXPECT_FALSE(*run(io_, tickets_.update_ticket("no-such-key", [](SessionTicket&) {})));
}

TEST_F(TicketStoreTest, ResourceTokensRoundTripThroughTheTicket) {
  auto t = ticket_for("alice");
  t.token_type = "DPoP";
  t.resource_tokens.push_back({"urn:orders", "orders-token", "DPoP", 1'900'000'000});
  t.resource_tokens.push_back({"urn:invoices", "invoices-token", "Bearer", std::nullopt});
  auto parsed = tickets::parse_ticket(tickets::serialize_ticket(t));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, t);
  ASSERT_TRUE(parsed->find_resource("urn:orders"));
  EXPECT_EQ(parsed->find_resource("urn:orders")->access_token, "orders-token");
  EXPECT_EQ(parsed->find_resource("urn:other"), nullptr);
}

TEST_F(TicketStoreTest, TicketRoundTripsThroughJson) {
  auto t = ticket_for("alice");
  t.access_token_expires_at = 1'800'000'000;
  t.claims["amr"] = boost::json::array{"pwd", "mfa"};
  auto parsed = tickets::parse_ticket(tickets::serialize_ticket(t));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, t);
  EXPECT_FALSE(tickets::parse_ticket("{}"));
  EXPECT_FALSE(tickets::parse_ticket("not json"));
  EXPECT_FALSE(tickets::parse_ticket(R"({"v":2,"claims":{},"id_token":"","access_token":""})"));
}

}  // namespace
}  // namespace gatehouse::testing

namespace gatehouse::testing {
namespace {

// Records what the ticket store publishes.
class RecordingSink final : public events::SessionEventSink {
 public:
  void publish(const events::SessionEvent& event) noexcept override { seen.push_back(event); }
  std::vector<events::SessionEvent> seen;
};

TEST_F(TicketStoreTest, ASessionFoundExpiredIsPublishedOnceWithItsPublicIdAndNoSecret) {
  auto fan = std::make_shared<events::SessionEvents>();
  fan->set_partition("app");
  fan->set_clock(clock_.clock());
  auto sink = std::make_shared<RecordingSink>();
  fan->subscribe(sink);
  TicketStore audited{store_,
                      keys_,
                      {.idle_timeout = minutes(30),
                       .max_lifetime = minutes(120),
                       .renew_after = minutes(1),
                       .events = fan},
                      clock_.clock()};
  auto issued = run(io_, audited.create("alice", "s1", ticket_for("alice")));
  ASSERT_TRUE(issued);
  clock_.advance(minutes(31));
  auto gone = run(io_, audited.load(issued->handle, true));
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  ASSERT_EQ(sink->seen.size(), 1u);
  const auto& e = sink->seen[0];
  EXPECT_EQ(e.kind, events::EventKind::session_ended);
  EXPECT_EQ(e.time, clock_.now()) << "stamped by the gateway's clock, not the system's";
  EXPECT_EQ(e.reason, events::EndReason::expired);
  EXPECT_EQ(e.actor, events::Actor::gateway);
  EXPECT_EQ(e.partition, "app");
  EXPECT_EQ(e.subject, "alice");
  EXPECT_EQ(e.sid, "s1");
  EXPECT_EQ(e.session_id, tickets::public_session_id(issued->key));
  EXPECT_NE(e.session_id.find(issued->key.substr(0, 8)), 0u) << "not a prefix of the store key";
  EXPECT_EQ(e.session_id.size(), 22u);
  // Gone now: loading it again publishes nothing more.
  ASSERT_TRUE(run(io_, audited.load(issued->handle, true)));
  EXPECT_EQ(sink->seen.size(), 1u);
}

TEST_F(TicketStoreTest, EndSessionsDescribesWhatItEndedWhenAsked) {
  auto a = login("alice", "s1");
  auto b = login("alice", "s2");
  login("bob", "s3");
  auto bare = run(io_, tickets_.end_sessions({.subject_id = "bob"}, false, false));
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->count, 1u);
  EXPECT_TRUE(bare->sessions.empty());
  auto ended = run(io_, tickets_.end_sessions({.subject_id = "alice"}, false, true));
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->count, 2u);
  EXPECT_TRUE(ended->refresh_tokens.empty());
  ASSERT_EQ(ended->sessions.size(), 2u);
  std::set<std::string> keys;
  for (const auto& s : ended->sessions) {
    keys.insert(s.key);
    EXPECT_EQ(s.subject_id, "alice");
    EXPECT_TRUE(s.session_id == "s1" || s.session_id == "s2");
  }
  EXPECT_EQ(keys, (std::set<std::string>{a.key, b.key}));
}

}  // namespace
}  // namespace gatehouse::testing
