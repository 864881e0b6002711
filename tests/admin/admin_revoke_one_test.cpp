// Revoking exactly one session by its operator id (DELETE /admin/sessions?sub=S&id=X), the admin
// page's "Revoke": the id is a prefix of the store key, so it is matched exactly among the
// sessions `sub`/`sid` find, and an id two of them share ends neither.
#include "admin_test_support.hpp"

#include "admin/session_json.hpp"
#include "tickets/ticket_store.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

namespace gatehouse::testing {
namespace {

template <class Backend>
class AdminRevokeOne : public AdminApiFixture<Backend> {
 protected:
  void SetUp() override {
    this->add(alice_1, "alice", "sid-a1");
    this->add(alice_2, "alice", "sid-a2");
    this->add(bob_1, "bob", "sid-b1");
  }

  static std::string id(const std::string& key) { return admin::operator_session_id(key); }

  const std::string alice_1 = "key-alice-1-0123456789";
  const std::string alice_2 = "key-alice-2-0123456789";
  const std::string bob_1 = "key-bob-1-0123456789";
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend>;
TYPED_TEST_SUITE(AdminRevokeOne, Backends);

// A session of partition "app" that ends in an hour.
UserSession live_session(std::string key, std::string subject, std::string sid) {
  const auto now = system_now();
  return {.key = std::move(key),
          .partition_key = "app",
          .subject_id = std::move(subject),
          .session_id = std::move(sid),
          .created = now,
          .renewed = now,
          .expires = now + std::chrono::hours(1),
          .ticket = "sealed"};
}

TYPED_TEST(AdminRevokeOne, EndsExactlyTheSessionWithThatId) {
  ASSERT_NE(this->id(this->alice_1), this->id(this->alice_2));
  auto r = this->call("DELETE", "/admin/sessions?sub=alice&id=" + this->id(this->alice_1));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_EQ(this->body(r).at("revoked"), 1);
  auto left = run(this->io_, this->store_->get_user_sessions({.subject_id = "alice"}));
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().key, this->alice_2) << "the user's other session stays";
  EXPECT_EQ(this->count({.subject_id = "bob"}), 1u);

  r = this->call("DELETE", "/admin/sessions?sid=sid-b1&id=" + this->id(this->bob_1));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(this->count({.subject_id = "bob"}), 0u) << "sid works as the filter too";
}

TYPED_TEST(AdminRevokeOne, AnIdOutsideTheFilterOrUnknownIs404AndEndsNothing) {
  for (const auto& target : std::vector<std::string>{
           "/admin/sessions?sub=alice&id=" + this->id(this->bob_1),
           "/admin/sessions?sub=bob&sid=sid-a1&id=" + this->id(this->alice_1),
           "/admin/sessions?sub=alice&id=" + this->id(this->alice_1).substr(0, 11),
           "/admin/sessions?sub=alice&id=key-alice-3-", "/admin/sessions?sub=nobody&id=abc"}) {
    auto r = this->call("DELETE", target);
    EXPECT_EQ(r.status, 404) << target << ": " << r.body;
    EXPECT_FALSE(this->body(r).at("error").as_string().empty());
  }
  EXPECT_EQ(this->count({.subject_id = "alice"}), 2u);
  EXPECT_EQ(this->count({.subject_id = "bob"}), 1u);
}

TYPED_TEST(AdminRevokeOne, AnIdTwoSessionsShareIs409AndEndsNeither) {
  const std::string twin = "key-alice-1-9999999999";  // the same 12 first characters
  ASSERT_EQ(this->id(twin), this->id(this->alice_1));
  this->add(twin, "alice", "sid-a3");
  auto r = this->call("DELETE", "/admin/sessions?sub=alice&id=" + this->id(twin));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(this->count({.subject_id = "alice"}), 3u);
  // Narrowed by sid, the id is unambiguous again.
  r = this->call("DELETE", "/admin/sessions?sub=alice&sid=sid-a3&id=" + this->id(twin));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(this->count({.subject_id = "alice"}), 2u);
}

TYPED_TEST(AdminRevokeOne, ListingWithAnIdShowsOnlyThatSession) {
  auto r = this->call("GET", "/admin/sessions?sub=alice&id=" + this->id(this->alice_2));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto sessions = this->body(r).at("sessions").as_array();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions.at(0).at("sid"), "sid-a2");
}

TYPED_TEST(AdminRevokeOne, RefusesAnIdWithoutAFilterOrMalformed) {
  const auto alice = this->id(this->alice_1);
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"DELETE", "/admin/sessions?id=" + alice},
           {"GET", "/admin/sessions?id=" + alice},
           {"DELETE", "/admin/sessions?sub=alice&id="},
           {"DELETE", "/admin/sessions?sub=alice&id=" + alice + "&id=" + alice},
           {"DELETE", "/admin/sessions?sub=alice&id=" + this->alice_1},  // the whole key: too long
           {"DELETE", "/admin/sessions?expired=true&id=" + alice},
           {"GET", "/admin/sessions?sub=alice&limit=5&id=" + alice},
       }) {
    auto r = this->call(method, target);
    EXPECT_EQ(r.status, 400) << method << " " << target << ": " << r.body;
    EXPECT_FALSE(this->body(r).at("error").as_string().empty()) << target;
  }
  EXPECT_EQ(this->count({.subject_id = "alice"}), 2u);
}

TYPED_TEST(AdminRevokeOne, StoreOutageIs503) {
  this->store_->down = true;
  auto r = this->call("DELETE", "/admin/sessions?sub=alice&id=" + this->id(this->alice_1));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.header("Retry-After"), "5");
  this->store_->down = false;
  EXPECT_EQ(this->count({.subject_id = "alice"}), 2u);
}

TYPED_TEST(AdminRevokeOne, TheLogLineHashesTheSubject) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "audit", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  const std::string key = "Xq3v0F2cKj1aRestOfTheStoreKey";  // shaped like a real one
  this->add(key, "carol", "sid-c1");
  this->call("DELETE", "/admin/sessions?sub=carol&id=" + this->id(key));
  spdlog::set_default_logger(previous);
  const auto text = log.str();
  EXPECT_NE(text.find("revoke of session Xq3v0F2cKj1a (subject hash"), std::string::npos) << text;
  EXPECT_NE(text.find("1 session(s) removed"), std::string::npos) << text;
  EXPECT_EQ(text.find("carol"), std::string::npos) << text;
  EXPECT_EQ(text.find(key), std::string::npos) << "never the whole store key: " << text;
  EXPECT_EQ(text.find(admin_token), std::string::npos) << text;
}

// The gateway's hook ends the session (and revokes its refresh token) instead of a bare delete.
TEST(AdminRevokeOneHook, TheGatewaysHookGetsTheStoredSession) {
  boost::asio::io_context io;
  auto store = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app"});
  auto options = admin_options();
  std::vector<UserSession> ended;
  options.end_session =
      [&ended](UserSession s) -> boost::asio::awaitable<StoreResult<std::size_t>> {
    ended.push_back(std::move(s));
    co_return static_cast<std::size_t>(1);
  };
  admin::AdminApi api(std::move(options), store, store, store);
  ASSERT_TRUE(run(
      io, store->create_user_session(live_session("key-carol-1-0123456789", "carol", "sid-c1"))));
  auto request = admin_request("DELETE", "/admin/sessions?sub=carol&id=key-carol-1-");
  auto r = run(io, api.handle(request));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended.front().key, "key-carol-1-0123456789");
  EXPECT_EQ(ended.front().session_id, "sid-c1");
  auto left = run(io, store->get_user_sessions({.subject_id = "carol"}));
  ASSERT_TRUE(left);
  EXPECT_EQ(left->size(), 1u) << "the hook, not the API, deletes";
}

// The operator's action reaches the audit stream like any other revoke.
TEST(AdminRevokeOneAudit, PublishesAnAdminActionWithTheFilterAndCount) {
  struct Recorder : events::SessionEventSink {
    std::vector<events::SessionEvent> seen;
    void publish(const events::SessionEvent& event) noexcept override { seen.push_back(event); }
  };
  boost::asio::io_context io;
  auto store = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app"});
  auto recorder = std::make_shared<Recorder>();
  auto events = std::make_shared<events::SessionEvents>();
  events->subscribe(recorder);
  auto options = admin_options();
  options.events = events;
  admin::AdminApi api(std::move(options), store, store, store);
  ASSERT_TRUE(
      run(io, store->create_user_session(live_session("key-dave-1-0123456789", "dave", "sid-d1"))));
  auto request = admin_request("DELETE", "/admin/sessions?sub=dave&id=key-dave-1-0");
  request.headers.emplace_back("User-Agent", "admin-page-test");
  auto r = run(io, api.handle(request));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(recorder->seen.size(), 1u);
  const auto& action = recorder->seen.front();
  EXPECT_EQ(action.kind, events::EventKind::admin_action);
  EXPECT_EQ(action.action, "revoke");
  EXPECT_EQ(action.actor, events::Actor::admin);
  EXPECT_EQ(action.subject, "dave");
  EXPECT_EQ(action.count, 1u);
  EXPECT_EQ(action.client_address, "127.0.0.1");
  EXPECT_EQ(action.user_agent, "admin-page-test");
}

// Through the real session layer: the revoked browser is signed out on its next request, the
// user's other browser is not.
TEST(AdminRevokeOneRevocation, TheRevokedHandleLoadsNothingTheOtherStillLoads) {
  boost::asio::io_context io;
  ManualClock clock;
  auto store = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app", .clock = clock.clock()});
  auto keys = std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate());
  tickets::TicketStore ticket_store(store, keys, tickets::TicketStoreOptions{}, clock.clock());
  admin::AdminApi api(admin_options(keys), store, store, store, clock.clock());

  tickets::SessionTicket ticket;
  ticket.claims["sub"] = "alice";
  auto laptop = run(io, ticket_store.create("alice", "sid-laptop", ticket));
  auto phone = run(io, ticket_store.create("alice", "sid-phone", ticket));
  ASSERT_TRUE(laptop && phone);

  auto request = admin_request(
      "DELETE", "/admin/sessions?sub=alice&id=" + admin::operator_session_id(phone->key));
  auto r = run(io, api.handle(request));
  ASSERT_EQ(r.status, 200) << r.body;
  auto phone_now = run(io, ticket_store.load(phone->handle, true));
  ASSERT_TRUE(phone_now);
  EXPECT_FALSE(*phone_now) << "the revoked browser is signed out";
  auto laptop_now = run(io, ticket_store.load(laptop->handle, true));
  ASSERT_TRUE(laptop_now);
  EXPECT_TRUE(*laptop_now) << "the other browser stays signed in";
}

}  // namespace
}  // namespace gatehouse::testing
