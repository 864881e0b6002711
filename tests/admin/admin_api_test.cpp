// The admin API's endpoints against real stores: listing, revoking, removing expired sessions,
// every refusal (400, 404, 405), outages (503), and revocation seen by the very next load.
#include "admin_test_support.hpp"

#include <gatehouse/session/user_session_validation.hpp>

#include "tickets/handle.hpp"
#include "tickets/ticket_store.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <map>
#include <sstream>

namespace gatehouse::testing {
namespace {

using namespace std::chrono_literals;

template <class Backend>
class AdminApiTest : public AdminApiFixture<Backend> {
 protected:
  void SetUp() override {
    this->add("key-alice-1-0123456789", "alice", "sid-a1");
    this->add("key-alice-2-0123456789", "alice", "sid-a2");
    this->add("key-bob-1-0123456789", "bob", "sid-b1");
  }
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend>;
TYPED_TEST_SUITE(AdminApiTest, Backends);

TYPED_TEST(AdminApiTest, ListsBySubjectSessionIdOrBoth) {
  auto r = this->call("GET", "/admin/sessions?sub=alice");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  auto sessions = this->body(r).at("sessions").as_array();
  ASSERT_EQ(sessions.size(), 2u) << r.body;
  for (const auto& s : sessions) {
    EXPECT_EQ(s.at("subject"), "alice");
    EXPECT_EQ(s.at("id").as_string().size(), 12u);
    EXPECT_EQ(s.at("expired"), false);
  }
  EXPECT_EQ(r.body.find("sealed-ticket"), std::string::npos) << "tickets never leave the store";
  EXPECT_EQ(r.body.find("key-alice-1-0123456789"), std::string::npos) << "nor whole store keys";

  EXPECT_EQ(
      this->body(this->call("GET", "/admin/sessions?sid=sid-b1")).at("sessions").as_array().size(),
      1u);
  EXPECT_EQ(this->body(this->call("GET", "/admin/sessions?sub=bob&sid=sid-b1"))
                .at("sessions")
                .as_array()
                .size(),
            1u);
  EXPECT_TRUE(this->body(this->call("GET", "/admin/sessions?sub=alice&sid=sid-b1"))
                  .at("sessions")
                  .as_array()
                  .empty())
      << "sub and sid together select sessions matching both";
  EXPECT_TRUE(this->body(this->call("GET", "/admin/sessions?sub=nobody"))
                  .at("sessions")
                  .as_array()
                  .empty());
}

TYPED_TEST(AdminApiTest, ListsExpiredSessionsMarkedAsSuch) {
  this->add("key-alice-old-0123456789", "alice", "sid-a3", 1min);
  this->clock_.advance(2min);
  auto r = this->call("GET", "/admin/sessions?sid=sid-a3");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(this->body(r).at("sessions").as_array().at(0).at("expired"), true);
}

TYPED_TEST(AdminApiTest, RevokesBySubjectOrSessionId) {
  auto r = this->call("DELETE", "/admin/sessions?sid=sid-a1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_EQ(this->body(r).at("revoked"), 1);
  EXPECT_EQ(this->count({.subject_id = "alice"}), 1u);

  r = this->call("DELETE", "/admin/sessions?sub=alice");
  EXPECT_EQ(this->body(r).at("revoked"), 1);
  EXPECT_EQ(this->count({.subject_id = "alice"}), 0u);
  EXPECT_EQ(this->count({.subject_id = "bob"}), 1u) << "other subjects are untouched";

  r = this->call("DELETE", "/admin/sessions?sub=bob&sid=sid-other");
  EXPECT_EQ(this->body(r).at("revoked"), 0) << "both given: AND";
  EXPECT_EQ(this->count({.subject_id = "bob"}), 1u);
  EXPECT_EQ(this->body(this->call("DELETE", "/admin/sessions?sub=nobody")).at("revoked"), 0);
}

TYPED_TEST(AdminApiTest, RemovesExpiredSessionsByDeleteOrCleanup) {
  this->add("key-old-1-0123456789", "carol", "sid-c1", 1min);
  this->add("key-old-2-0123456789", "carol", "sid-c2", 1min);
  this->add("key-old-3-0123456789", "dave", "sid-d1", 1min);
  this->clock_.advance(2min);
  auto r = this->call("DELETE", "/admin/sessions?expired=true");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(this->body(r).at("revoked"), 3);
  EXPECT_EQ(this->count({.subject_id = "alice"}), 2u) << "live sessions stay";

  this->add("key-old-4-0123456789", "carol", "sid-c3", 1min);
  this->clock_.advance(2min);
  r = this->call("POST", "/admin/cleanup");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_EQ(this->body(r).at("removed"), 1);
  EXPECT_EQ(this->body(this->call("POST", "/admin/cleanup")).at("removed"), 0);
}

TYPED_TEST(AdminApiTest, RefusesBadQueriesWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"GET", "/admin/sessions"},
      {"GET", "/admin/sessions?"},
      {"DELETE", "/admin/sessions"},
      {"GET", "/admin/sessions?expired=true"},
      {"DELETE", "/admin/sessions?expired=true&sub=alice"},
      {"DELETE", "/admin/sessions?sid=sid-a1&expired=true"},
      {"DELETE", "/admin/sessions?expired=false"},
      {"DELETE", "/admin/sessions?expired=true&expired=true"},
      {"GET", "/admin/sessions?sub=alice&sub=bob"},
      {"DELETE", "/admin/sessions?sub=alice&sub=bob"},
      {"DELETE", "/admin/sessions?sid=sid-a1&sid=sid-a2"},
      {"DELETE", "/admin/sessions?sub="},
      {"GET", "/admin/sessions?sub=%zz"},
      {"DELETE", "/admin/sessions?sub=alice%00"},
      {"DELETE", "/admin/sessions?sub=alice&sidd=sid-a1"},
      {"GET", "/admin/sessions?subject=alice"},
      {"POST", "/admin/cleanup?now=1"},
      {"GET", "/admin/sessions?sub=" + std::string(UserSessionLimits::max_subject_id + 1, 'a')},
  };
  for (const auto& [method, target] : cases) {
    auto r = this->call(method, target);
    EXPECT_EQ(r.status, 400) << method << " " << target << ": " << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store") << target;
    EXPECT_FALSE(this->body(r).at("error").as_string().empty()) << target;
  }
  EXPECT_EQ(this->count({.subject_id = "alice"}), 2u) << "no refused call removed anything";
}

TYPED_TEST(AdminApiTest, UnknownPathsAre404AndWrongMethods405) {
  // (/admin, /admin/ and /admin/keys are the page and the key ids: admin_page_test.cpp.)
  for (const auto* target : {"/admin/sessions/abc", "/admin/keys/abc", "/admin/index.html", "/",
                             "/bff/user", "/healthz", "/admin/cleanup/now"}) {
    auto r = this->call("GET", target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.header("Cache-Control"), "no-store") << target;
  }
  for (const auto* method : {"PUT", "POST", "PATCH", "HEAD"}) {
    auto r = this->call(method, "/admin/sessions?sub=alice");
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.header("Allow"), "GET, DELETE") << method;
  }
  for (const auto* method : {"GET", "DELETE", "PUT"}) {
    auto r = this->call(method, "/admin/cleanup");
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.header("Allow"), "POST") << method;
  }
  EXPECT_EQ(this->count({.subject_id = "alice"}), 2u);
}

TYPED_TEST(AdminApiTest, StoreOutageIs503AndRemovesNothing) {
  this->store_->down = true;
  for (const auto* target : {"/admin/sessions?sub=alice", "/admin/sessions?sid=sid-b1"}) {
    for (const auto* method : {"GET", "DELETE"}) {
      auto r = this->call(method, target);
      EXPECT_EQ(r.status, 503) << method << " " << target;
      EXPECT_EQ(r.header("Retry-After"), "5");
      EXPECT_EQ(r.header("Cache-Control"), "no-store");
    }
  }
  this->store_->down = false;
  EXPECT_EQ(this->count({.subject_id = "alice"}), 2u);
  EXPECT_EQ(this->call("GET", "/admin/sessions?sub=alice").status, 200);
}

// Each expired session a cleanup removes is its own session_ended (expired, admin), named by sub,
// sid and public session id, never by its key; then one admin_action with the count.
TYPED_TEST(AdminApiTest, ACleanupPublishesOneSessionEndedPerSessionItRemoved) {
  struct Recorder : events::SessionEventSink {
    std::vector<events::SessionEvent> seen;
    void publish(const events::SessionEvent& event) noexcept override { seen.push_back(event); }
  };
  auto recorder = std::make_shared<Recorder>();
  auto events = std::make_shared<events::SessionEvents>();
  events->subscribe(recorder);
  auto options = admin_options();
  options.events = events;
  options.cleanup_batch = 2;
  admin::AdminApi api(std::move(options), this->store_, this->cleanup_, nullptr,
                      this->clock_.clock());
  const std::map<std::string, std::pair<std::string, std::optional<std::string>>> expiring = {
      {"key-old-1-0123456789", {"carol", "sid-c1"}},
      {"key-old-2-0123456789", {"carol", std::nullopt}},
      {"key-old-3-0123456789", {"dave", "sid-d1"}}};
  for (const auto& [key, who] : expiring) this->add(key, who.first, who.second, 1min);
  this->clock_.advance(2min);
  auto request = admin_request("POST", "/admin/cleanup");
  auto r = run(this->io_, api.handle(request));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(this->body(r).at("removed"), 3);
  ASSERT_EQ(recorder->seen.size(), 4u);
  std::map<std::string, std::pair<std::string, std::optional<std::string>>> ended;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& e = recorder->seen[i];
    EXPECT_EQ(e.kind, events::EventKind::session_ended);
    EXPECT_EQ(e.reason, events::EndReason::expired);
    EXPECT_EQ(e.actor, events::Actor::admin);
    EXPECT_EQ(e.count, 1u);
    for (const auto& [key, who] : expiring)
      if (e.session_id == tickets::public_session_id(key)) ended[key] = {e.subject, e.sid};
  }
  EXPECT_EQ(ended, expiring) << "every removed session, by its public id";
  const auto& action = recorder->seen.back();
  EXPECT_EQ(action.kind, events::EventKind::admin_action);
  EXPECT_EQ(action.action, "cleanup");
  EXPECT_EQ(action.count, 3u);
}

TYPED_TEST(AdminApiTest, AuditLogNamesTheRequestAndCountButNoSecrets) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "audit", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
  this->call("DELETE", "/admin/sessions?sub=alice");
  this->call("POST", "/admin/cleanup");
  this->call("GET", "/admin/sessions?sub=bob", "Bearer wrong-token");
  spdlog::set_default_logger(previous);
  const auto text = log.str();
  EXPECT_NE(text.find("revoke by subject hash"), std::string::npos) << text;
  EXPECT_NE(text.find("2 session(s) removed"), std::string::npos) << text;
  EXPECT_NE(text.find("expired sessions from 127.0.0.1: 0 session(s) removed"), std::string::npos)
      << text;
  EXPECT_NE(text.find("refused a request from 127.0.0.1: wrong bearer token"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("alice"), std::string::npos) << "subjects are logged hashed: " << text;
  EXPECT_EQ(text.find(admin_token), std::string::npos) << text;
  EXPECT_EQ(text.find("wrong-token"), std::string::npos) << text;
}

// A store without cleanup (the custom stores the builder accepts may have none).
TEST(AdminApiWithoutCleanup, ExpiredSessionCallsAre503) {
  boost::asio::io_context io;
  auto store = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app"});
  admin::AdminApi api(admin_options(), store, nullptr, nullptr);
  for (auto [method, target] :
       {std::pair{"POST", "/admin/cleanup"}, std::pair{"DELETE", "/admin/sessions?expired=true"}}) {
    auto request = admin_request(method, target);
    auto r = run(io, api.handle(request));
    EXPECT_EQ(r.status, 503) << target;
    EXPECT_NE(r.body.find("no cleanup"), std::string::npos) << r.body;
  }
  auto request = admin_request("GET", "/admin/sessions?sub=alice");
  EXPECT_EQ(run(io, api.handle(request)).status, 200) << "the rest still works";
}

// The session layer reads the store on every request: a revocation holds from the next one.
TEST(AdminApiRevocation, TheVeryNextLoadOfARevokedSessionFindsNothing) {
  boost::asio::io_context io;
  ManualClock clock;
  auto store = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app", .clock = clock.clock()});
  auto keys = std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate());
  tickets::TicketStore ticket_store(store, keys, tickets::TicketStoreOptions{}, clock.clock());
  admin::AdminApi api(admin_options(), store, store, store, clock.clock());

  tickets::SessionTicket ticket;
  ticket.claims["sub"] = "alice";
  auto issued = run(io, ticket_store.create("alice", "sid-1", ticket));
  ASSERT_TRUE(issued);
  auto before = run(io, ticket_store.load(issued->handle, true));
  ASSERT_TRUE(before && *before) << "signed in";

  auto request = admin_request("DELETE", "/admin/sessions?sub=alice");
  auto r = run(io, api.handle(request));
  ASSERT_EQ(r.status, 200) << r.body;
  auto after = run(io, ticket_store.load(issued->handle, true));
  ASSERT_TRUE(after);
  EXPECT_FALSE(*after) << "the revoked session is gone on the next request";
}

}  // namespace
}  // namespace gatehouse::testing
