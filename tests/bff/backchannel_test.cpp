// POST /bff/backchannel against a fake provider over loopback HTTP: which sessions end, the
// once-only jti across a shared store, failing closed, and refresh-token revocation.
#include "bff/bff_endpoints.hpp"
#include "bff/pending_logouts.hpp"

#include <gatehouse/stores/memory_user_session_store.hpp>

#include "jose/test_keys.hpp"
#include "oidc/fake_provider.hpp"
#include "oidc/logout_token.hpp"
#include "support/run.hpp"
#include "tickets/failing_store.hpp"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace gatehouse::testing {
namespace {

using namespace std::chrono_literals;
using boost::json::object;

constexpr const char* kClient = "gatehouse-test";

class BackchannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    oidc::ClientSettings s;
    s.authority = provider_.issuer();
    s.client_id = kClient;
    s.client_secret = "secret";
    s.scopes = {"openid"};
    s.redirect_uri = "http://127.0.0.1:8080/signin-oidc";
    s.http_timeout = 2s;
    oidc_ = std::make_shared<oidc::OidcClient>(io_.get_executor(), s, oidc_clock_.clock());
    make_endpoints(false);
  }

  void make_endpoints(bool all_user_sessions, std::chrono::milliseconds wait = 2000ms) {
    bff::EndpointOptions o{"/bff", "http://127.0.0.1:8080", {"__Host-gatehouse", true, "Lax"}};
    o.logout_replay_cache = std::make_shared<tickets::ReplayCache>(replay_store_, clock_.clock());
    o.backchannel_all_user_sessions = all_user_sessions;
    o.revoker = std::make_shared<bff::TokenRevoker>(io_.get_executor(), oidc_,
                                                    bff::TokenRevokerOptions{.max_concurrent = 2});
    o.revocation_wait = wait;
    pending_ = std::make_shared<bff::PendingLogouts>(tickets_, o.revoker,
                                                     bff::PendingLogoutOptions{.capacity = 3});
    o.pending_logouts = pending_;
    endpoints_ = std::make_unique<bff::BffEndpoints>(o, tickets_, oidc_, keys_, clock_.clock());
  }

  void load_provider() {
    const auto loaded = run(io_, oidc_->load_metadata());
    ASSERT_TRUE(loaded) << loaded.error().detail;
  }

  std::string login(std::string sub, std::optional<std::string> sid) {
    tickets::SessionTicket t;
    t.claims["sub"] = sub;
    t.id_token = "id";
    t.access_token = "at";
    t.refresh_token = "rt-" + sub + "-" + sid.value_or("none");
    auto issued = run(io_, tickets_->create(sub, sid, t));
    EXPECT_TRUE(issued);
    return issued ? issued->handle : "";
  }

  bool alive(const std::string& handle) {
    auto loaded = run(io_, tickets_->load(handle, false));
    return loaded && loaded->has_value();
  }

  object claims(std::optional<std::string> sub, std::optional<std::string> sid,
                std::string jti = "jti-1") const {
    object c{{"iss", provider_.issuer()},
             {"aud", kClient},
             {"iat", oidc_clock_.seconds()},
             {"jti", jti},
             {"events", object{{oidc::kBackchannelLogoutEvent, object{}}}}};
    if (sub) c["sub"] = *sub;
    if (sid) c["sid"] = *sid;
    return c;
  }
  static std::string sign(const object& payload) {
    return jose::testing::sign_jwt({{"typ", "logout+jwt"}}, payload,
                                   jose::testing::test_keys().rsa.get(), "RS256", "rsa-1");
  }

  http::Response post(std::string body,
                      std::string content_type = "application/x-www-form-urlencoded") {
    http::Request r;
    r.method = "POST";
    r.target = r.path = "/bff/backchannel";
    if (!content_type.empty()) r.headers.emplace_back("Content-Type", content_type);
    r.body = std::move(body);
    auto response = run(io_, endpoints_->handle(r));
    EXPECT_TRUE(response);
    return response ? *response : http::Response{};
  }
  http::Response post_token(const object& payload) { return post("logout_token=" + sign(payload)); }

  boost::asio::io_context io_;
  ManualClock clock_;
  oidc::testing::TestClock oidc_clock_;  // the same instant as clock_
  oidc::testing::FakeProvider provider_;
  std::shared_ptr<SwitchableStore> store_ =
      std::make_shared<SwitchableStore>(std::make_shared<InMemoryUserSessionStore>(
          InMemoryUserSessionStoreOptions{.partition = "app", .clock = clock_.clock()}));
  std::shared_ptr<SwitchableStore> replay_store_ =
      std::make_shared<SwitchableStore>(std::make_shared<InMemoryUserSessionStore>(
          InMemoryUserSessionStoreOptions{.partition = "app/logout-jti", .clock = clock_.clock()}));
  std::shared_ptr<crypto::KeyRing> keys_ =
      std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate());
  std::shared_ptr<tickets::TicketStore> tickets_ = std::make_shared<tickets::TicketStore>(
      store_, keys_, tickets::TicketStoreOptions{}, clock_.clock());
  std::shared_ptr<oidc::OidcClient> oidc_;
  std::shared_ptr<bff::PendingLogouts> pending_;
  std::unique_ptr<bff::BffEndpoints> endpoints_;
};

TEST_F(BackchannelTest, SubAndSidEndExactlyThatProviderSession) {
  load_provider();
  const auto a1 = login("alice", "sid-1");
  const auto a2 = login("alice", "sid-2");
  const auto b = login("bob", "sid-3");
  const auto r = post_token(claims("alice", "sid-1"));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_FALSE(alive(a1));
  EXPECT_TRUE(alive(a2));
  EXPECT_TRUE(alive(b));
  // A sub and a sid that belong to different users select nothing (AND, not OR).
  EXPECT_EQ(post_token(claims("alice", "sid-3", "jti-2")).status, 200);
  EXPECT_TRUE(alive(a2));
  EXPECT_TRUE(alive(b));
  // sid alone, then sub alone.
  EXPECT_EQ(post_token(claims(std::nullopt, "sid-3", "jti-3")).status, 200);
  EXPECT_FALSE(alive(b));
  const auto a3 = login("alice", std::nullopt);
  EXPECT_EQ(post_token(claims("alice", std::nullopt, "jti-4")).status, 200);
  EXPECT_FALSE(alive(a2));
  EXPECT_FALSE(alive(a3));
}

TEST_F(BackchannelTest, AllUserSessionsEndsEverySessionOfTheSubject) {
  make_endpoints(true);
  load_provider();
  const auto a1 = login("alice", "sid-1");
  const auto a2 = login("alice", "sid-2");
  const auto a3 = login("alice", std::nullopt);
  const auto b = login("bob", "sid-3");
  EXPECT_EQ(post_token(claims(std::nullopt, "sid-1")).status, 200);  // the subject via its sid
  EXPECT_FALSE(alive(a1));
  EXPECT_FALSE(alive(a2));
  EXPECT_FALSE(alive(a3));
  EXPECT_TRUE(alive(b));
}

TEST_F(BackchannelTest, AJtiIsAcceptedOnceAcrossInstances) {
  load_provider();
  const auto token = sign(claims("alice", "sid-1"));
  EXPECT_EQ(post("logout_token=" + token).status, 200);
  // A second instance sharing the stores (the load balancer sent the retry elsewhere).
  auto first = std::move(endpoints_);
  make_endpoints(false);
  const auto again = login("alice", "sid-1");
  const auto r = post("logout_token=" + token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.find("replay"), std::string::npos) << "the reason stays in the log";
  EXPECT_TRUE(alive(again));
}

TEST_F(BackchannelTest, FailsClosedWhenTheReplayCacheIsDown) {
  load_provider();
  const auto a = login("alice", "sid-1");
  replay_store_->down = true;
  EXPECT_EQ(post_token(claims("alice", "sid-1")).status, 400);
  EXPECT_TRUE(alive(a));
  replay_store_->down = false;
  EXPECT_EQ(post_token(claims("alice", "sid-1")).status, 200);
  EXPECT_FALSE(alive(a));
}

// The store blinked: the delivery is refused (the provider may retry), and the logout is kept
// and applied once the store answers again, without any retry from the provider.
TEST_F(BackchannelTest, ALogoutTheStoreMissedIsAppliedWhenItIsBack) {
  load_provider();
  const auto a = login("alice", "sid-1");
  const auto b = login("bob", "sid-2");
  store_->down = true;
  replay_store_->down = true;
  EXPECT_EQ(post_token(claims("alice", "sid-1")).status, 400);
  EXPECT_EQ(pending_->waiting(), 1u);
  EXPECT_EQ(run(io_, pending_->retry_now()), 0u) << "still down: kept";
  EXPECT_EQ(pending_->waiting(), 1u);
  store_->down = false;
  replay_store_->down = false;
  EXPECT_TRUE(alive(a)) << "not before the retry";
  EXPECT_EQ(run(io_, pending_->retry_now()), 1u);
  EXPECT_FALSE(alive(a)) << "ended without the provider's retry";
  EXPECT_TRUE(alive(b));
  EXPECT_EQ(pending_->waiting(), 0u);
  EXPECT_EQ(pending_->applied(), 1u);
}

TEST_F(BackchannelTest, ThePendingQueueIsBoundedAndCountsWhatItDrops) {
  load_provider();
  store_->down = true;
  replay_store_->down = true;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(post_token(claims("user" + std::to_string(i), "sid-" + std::to_string(i))).status,
              400);
  EXPECT_EQ(pending_->waiting(), 3u);
  EXPECT_EQ(pending_->dropped(), 2u);
}

TEST_F(BackchannelTest, AFailedDeletionCanBeRetriedWithTheSameToken) {
  load_provider();
  const auto a = login("alice", "sid-1");
  const auto token = sign(claims("alice", "sid-1"));
  store_->down = true;
  EXPECT_EQ(post("logout_token=" + token).status, 400);
  store_->down = false;
  EXPECT_TRUE(alive(a));
  EXPECT_EQ(post("logout_token=" + token).status, 200);
  EXPECT_FALSE(alive(a));
}

TEST_F(BackchannelTest, MalformedRequestsAre400AndEndNothing) {
  const auto a = login("alice", "sid-1");
  EXPECT_EQ(post_token(claims("alice", "sid-1")).status, 400) << "provider not loaded yet";
  load_provider();
  const auto token = sign(claims("alice", "sid-1"));
  EXPECT_EQ(post("").status, 400);
  EXPECT_EQ(post("other=1").status, 400);
  EXPECT_EQ(post("logout_token=").status, 400);
  EXPECT_EQ(post("logout_token=" + token + "&logout_token=" + token).status, 400);
  EXPECT_EQ(post("logout_token=" + token, "application/json").status, 400);
  EXPECT_EQ(post("logout_token=" + token, "").status, 400);
  EXPECT_EQ(post("logout_token=%zz").status, 400);
  EXPECT_EQ(post("logout_token=not.a.jwt").status, 400);
  EXPECT_TRUE(alive(a));
  http::Request get;
  get.method = "GET";
  get.target = get.path = "/bff/backchannel";
  const auto r = run(io_, endpoints_->handle(get));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("Allow"), "POST");
  // A charset parameter is fine.
  EXPECT_EQ(
      post("logout_token=" + token, "application/x-www-form-urlencoded; charset=UTF-8").status,
      200);
  EXPECT_FALSE(alive(a));
}

TEST_F(BackchannelTest, RefreshTokensOfEndedSessionsAreRevoked) {
  provider_.enable_revocation(200);
  load_provider();
  login("alice", "sid-1");
  login("alice", "sid-2");
  login("bob", "sid-3");
  EXPECT_EQ(post_token(claims("alice", std::nullopt)).status, 200);
  std::vector<std::string> revoked;
  for (const auto& r : provider_.revocation_requests()) revoked.push_back(r.body);
  std::sort(revoked.begin(), revoked.end());
  ASSERT_EQ(revoked.size(), 2u);
  EXPECT_NE(revoked[0].find("token=rt-alice-sid-1&"), std::string::npos) << revoked[0];
  EXPECT_NE(revoked[1].find("token=rt-alice-sid-2&"), std::string::npos) << revoked[1];
}

TEST_F(BackchannelTest, RevocationIsBoundedAndDoesNotHoldTheResponse) {
  provider_.enable_revocation(200);
  provider_.set_revocation_delay(300ms);
  load_provider();
  auto shared = std::make_shared<bff::TokenRevoker>(io_.get_executor(), oidc_,
                                                    bff::TokenRevokerOptions{.max_concurrent = 2});
  std::vector<std::string> tokens;
  for (int i = 0; i < 6; ++i) tokens.push_back("rt-" + std::to_string(i));
  // Returns after the wait with everything still pending; run() then drains the background work.
  const auto outcome = run(io_, shared->revoke(std::move(tokens), 50ms));
  EXPECT_EQ(outcome.revoked, 0u);
  EXPECT_EQ(outcome.pending, 6u);
  EXPECT_EQ(provider_.revocation_requests().size(), 6u);
  EXPECT_LE(provider_.max_concurrent_revocations(), 2);
  EXPECT_EQ(shared->queued(), 0u);

  std::vector<std::string> more{"rt-a", "rt-b"};
  const auto done = run(io_, shared->revoke(std::move(more), 5000ms));
  EXPECT_EQ(done.revoked, 2u);
  EXPECT_EQ(done.pending, 0u);
}

TEST_F(BackchannelTest, UserLogoutRevokesItsRefreshToken) {
  provider_.enable_revocation(200);
  load_provider();
  const auto a = login("alice", "sid-1");
  http::Request r;
  r.method = "GET";
  r.target = "/bff/logout?sid=sid-1";
  r.path = "/bff/logout";
  r.query = "sid=sid-1";
  r.headers.emplace_back("Cookie", "__Host-gatehouse=" + a);
  const auto out = run(io_, endpoints_->handle(r));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 302);
  const auto revoked = provider_.revocation_requests();
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_NE(revoked[0].body.find("token=rt-alice-sid-1&"), std::string::npos);
}

}  // namespace
}  // namespace gatehouse::testing
