// The endpoints that need no provider round trip, against a real ticket store over the
// in-memory store: the user endpoint, logout's checks, readiness, and store outages.
#include "bff/bff_endpoints.hpp"

#include <gatehouse/stores/memory_user_session_store.hpp>

#include "support/run.hpp"
#include "tickets/failing_store.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace gatehouse::testing {
namespace {

using bff::BffEndpoints;

class BffEndpointsTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  boost::asio::io_context io_;
  std::shared_ptr<SwitchableStore> store_ =
      std::make_shared<SwitchableStore>(std::make_shared<InMemoryUserSessionStore>(
          InMemoryUserSessionStoreOptions{.partition = "app", .clock = clock_.clock()}));
  std::shared_ptr<crypto::KeyRing> keys_ =
      std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate());
  std::shared_ptr<tickets::TicketStore> tickets_ = std::make_shared<tickets::TicketStore>(
      store_, keys_, tickets::TicketStoreOptions{}, clock_.clock());
  std::shared_ptr<oidc::OidcClient> oidc_ = std::make_shared<oidc::OidcClient>(
      io_.get_executor(),
      oidc::ClientSettings{.authority = "http://127.0.0.1:9",
                           .client_id = "c",
                           .client_secret = "s",
                           .scopes = {"openid"},
                           .redirect_uri = "http://127.0.0.1:8080/signin-oidc"});
  BffEndpoints endpoints_{{"/bff", "http://127.0.0.1:8080", {"__Host-gatehouse", true, "Lax"}},
                          tickets_,
                          oidc_,
                          keys_,
                          clock_.clock()};

  std::string login(std::optional<std::string> sid = "sid-1") {
    tickets::SessionTicket t;
    t.claims["sub"] = "alice";
    t.claims["name"] = "Alice";
    t.id_token = "id";
    t.access_token = "at";
    auto issued = run(io_, tickets_->create("alice", sid, t));
    EXPECT_TRUE(issued);
    return issued->handle;
  }

  http::Response get(std::string target, std::string cookie = {}, bool csrf = true) {
    http::Request r;
    r.method = "GET";
    r.target = target;
    auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    if (!cookie.empty()) r.headers.emplace_back("Cookie", "__Host-gatehouse=" + cookie);
    if (csrf) r.headers.emplace_back("X-CSRF", "1");
    auto response = run(io_, endpoints_.handle(r));
    EXPECT_TRUE(response) << target;
    return response ? *response : http::Response{};
  }

  static std::size_t set_cookies(const http::Response& r) {
    std::size_t n = 0;
    for (auto& [name, value] : r.headers) n += name == "Set-Cookie";
    return n;
  }
};

TEST_F(BffEndpointsTest, UserNeedsTheCsrfHeaderAndASession) {
  auto handle = login();
  EXPECT_EQ(get("/bff/user", handle, false).status, 401);
  EXPECT_EQ(get("/bff/user", "", true).status, 401);
  auto ok = get("/bff/user", handle);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("Cache-Control"), "no-store");
  auto claims = boost::json::parse(ok.body).as_array();
  bool saw_logout = false;
  for (auto& c : claims)
    if (c.at("type") == "bff:logout_url") {
      EXPECT_EQ(c.at("value"), "/bff/logout?sid=sid-1");
      saw_logout = true;
    }
  EXPECT_TRUE(saw_logout);
}

TEST_F(BffEndpointsTest, TamperedOrForgedCookiesAreAnonymous) {
  auto handle = login();
  auto tampered = handle;
  tampered[5] = tampered[5] == 'a' ? 'b' : 'a';
  auto r = get("/bff/user", tampered);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(set_cookies(r), 1u) << "a dead cookie is cleared";
  EXPECT_EQ(get("/bff/user", std::string(43, 'A')).status, 401);
  EXPECT_EQ(get("/bff/user", "garbage;;==").status, 401);
}

TEST_F(BffEndpointsTest, StoreOutageIs503AndKeepsSessionAndCookie) {
  auto handle = login();
  store_->down = true;
  auto r = get("/bff/user", handle);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(set_cookies(r), 0u) << "the cookie must survive an outage";
  EXPECT_EQ(get("/bff/logout?sid=sid-1", handle).status, 503);
  EXPECT_EQ(get("/readyz").status, 503);
  store_->down = false;
  EXPECT_EQ(get("/bff/user", handle).status, 200);
}

TEST_F(BffEndpointsTest, LogoutChecksSidThenEndsTheSession) {
  auto handle = login();
  EXPECT_EQ(get("/bff/logout", handle).status, 400);
  EXPECT_EQ(get("/bff/logout?sid=other", handle).status, 400);
  EXPECT_EQ(get("/bff/logout?sid=sid-1&sid=sid-1", handle).status, 400);
  EXPECT_EQ(get("/bff/logout?sid=sid-1&returnUrl=//evil.example", handle).status, 400);
  EXPECT_EQ(get("/bff/user", handle).status, 200) << "failed logouts leave the session";
  auto out = get("/bff/logout?sid=sid-1&returnUrl=/bye", handle);
  EXPECT_EQ(out.status, 302);
  EXPECT_EQ(out.header("Location"), "/bye");  // provider not loaded: straight back to the app
  EXPECT_EQ(get("/bff/user", handle).status, 401);
}

TEST_F(BffEndpointsTest, LoginValidatesBeforeAskingTheProvider) {
  for (const char* bad : {"//evil.example", "https://evil.example", "/%0d%0aX:1", "http:x"})
    EXPECT_EQ(get(std::string("/bff/login?returnUrl=") + bad).status, 400) << bad;
  EXPECT_EQ(get("/bff/login?prompt=bogus").status, 400);
  // A query that is not form encoding must not read as "no returnUrl" (and default to "/").
  EXPECT_EQ(get("/bff/login?returnUrl=%2Fa%00b").status, 400);
  EXPECT_EQ(get("/bff/login?returnUrl=%zz").status, 400);
  EXPECT_EQ(get("/signin-oidc?state=%00&code=c").status, 400);
  EXPECT_EQ(get("/bff/login?returnUrl=/").status, 503) << "provider metadata not loaded";
  EXPECT_EQ(get("/readyz").status, 503);
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(BffEndpointsTest, CallbackWithoutItsFlowCookieIsRejected) {
  EXPECT_EQ(get("/signin-oidc?code=c&state=s").status, 400);
  EXPECT_EQ(get("/signin-oidc?code=c").status, 400);
  EXPECT_EQ(get("/signin-oidc?state=a&state=b&code=c").status, 400);
  EXPECT_EQ(get("/signin-oidc?error=access_denied&state=s").status, 400);
}

TEST_F(BffEndpointsTest, OtherPathsAndMethods) {
  EXPECT_EQ(get("/bff/nope").status, 404);
  http::Request post;
  post.method = "POST";
  post.path = post.target = "/bff/user";
  auto r = run(io_, endpoints_.handle(post));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  http::Request app;
  app.method = "GET";
  app.path = app.target = "/index.html";
  EXPECT_FALSE(run(io_, endpoints_.handle(app)));
}

}  // namespace
}  // namespace gatehouse::testing
