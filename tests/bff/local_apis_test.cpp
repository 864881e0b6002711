// An embedding program's own endpoints behind the gateway's session, CSRF and token checks.
#include "bff/local_apis.hpp"

#include <gatehouse/stores/memory_user_session_store.hpp>

#include "support/run.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace gatehouse::testing {
namespace {

// Hands out a fixed token and records what it was asked for.
class FixedTokens final : public proxy::TokenSource {
 public:
  std::optional<std::string> last_audience;
  bool fail = false;
  boost::asio::awaitable<proxy::CredentialOutcome> user_credential(
      tickets::ActiveSession&, const proxy::CallSite& call) override {
    last_audience = call.route->config.audience;
    if (fail) co_return proxy::CredentialOutcome{std::nullopt, 503, "provider down"};
    co_return proxy::CredentialOutcome{proxy::UpstreamCredential{"Bearer the-access-token", {}}};
  }
  boost::asio::awaitable<proxy::CredentialOutcome> client_credential(
      const proxy::CallSite&) override {
    co_return proxy::CredentialOutcome{std::nullopt, 503, "unused"};
  }
  void remember_nonce(const std::string&, std::string) override {}
  std::string dpop_proof(const proxy::CallSite&, const std::string&) override { return {}; }
};

class LocalApisTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  boost::asio::io_context io_;
  std::shared_ptr<InMemoryUserSessionStore> store_ = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app", .clock = clock_.clock()});
  std::shared_ptr<tickets::TicketStore> tickets_ = std::make_shared<tickets::TicketStore>(
      store_, std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate()),
      tickets::TicketStoreOptions{}, clock_.clock());
  std::shared_ptr<FixedTokens> tokens_ = std::make_shared<FixedTokens>();
  std::optional<LocalApiRequest> seen_;

  std::unique_ptr<bff::LocalApis> make(LocalApiOptions options = {}) {
    LocalApiHandler handler =
        [this](LocalApiRequest r) -> boost::asio::awaitable<LocalApiResponse> {
      seen_ = r;
      if (r.path == "/local/throw") throw std::runtime_error("boom");
      co_return LocalApiResponse{
          201, {{"X-Mine", "1"}, {"Set-Cookie", "evil=1"}}, "hello " + r.subject};
    };
    std::vector<LocalApi> apis{{"/local", handler, std::move(options)}};
    return std::make_unique<bff::LocalApis>(
        std::move(apis), std::vector<std::string>{"/bff", "/api"}, "__Host-gatehouse",
        "__Host-gatehouse=; Max-Age=0", tickets_, tokens_);
  }

  std::string login() {
    tickets::SessionTicket t;
    t.claims["sub"] = "alice";
    t.claims["groups"] = boost::json::array{"staff"};
    auto issued = run(io_, tickets_->create("alice", "sid-1", t));
    EXPECT_TRUE(issued);
    return issued->handle;
  }

  http::Request request(std::string path, std::optional<std::string> handle, bool csrf = true) {
    http::Request r;
    r.method = "POST";
    r.path = r.target = std::move(path);
    r.body = "payload";
    if (handle) r.headers.emplace_back("Cookie", "__Host-gatehouse=" + *handle);
    if (csrf) r.headers.emplace_back("X-CSRF", "1");
    r.headers.emplace_back("Authorization", "Bearer from-the-browser");
    return r;
  }

  std::optional<http::Response> call(bff::LocalApis& apis, http::Request r) {
    return run(io_, apis.handle(r));
  }
};

TEST_F(LocalApisTest, ASignedInCallGetsTheSessionAndAFreshToken) {
  auto apis = make({.audience = "urn:mine"});
  const auto handle = login();
  auto r = call(*apis, request("/local/profile", handle));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "hello alice");
  EXPECT_EQ(r->header("X-Mine"), "1");
  EXPECT_FALSE(r->header("Set-Cookie")) << "the cookie jar belongs to the gateway";
  EXPECT_EQ(r->header("Cache-Control"), "no-store");
  ASSERT_TRUE(seen_);
  EXPECT_EQ(seen_->access_token, "the-access-token");
  EXPECT_EQ(seen_->token_type, "Bearer");
  EXPECT_EQ(seen_->body, "payload");
  EXPECT_EQ(boost::json::parse(seen_->claims_json).at("sub").as_string(), "alice");
  for (const auto& [name, value] : seen_->headers) {
    EXPECT_NE(name, "Cookie");
    EXPECT_NE(name, "Authorization") << "the browser's own credentials never reach the handler";
  }
  EXPECT_EQ(tokens_->last_audience, "urn:mine");
}

TEST_F(LocalApisTest, NoSessionNoCsrfOrAFailingProviderAreProblemsAndTheHandlerIsNotCalled) {
  auto apis = make();
  const auto handle = login();
  EXPECT_EQ(call(*apis, request("/local/x", std::nullopt))->status, 401);
  EXPECT_EQ(call(*apis, request("/local/x", handle, false))->status, 401);
  auto forged = call(*apis, request("/local/x", std::string(43, 'A')));
  EXPECT_EQ(forged->status, 401);
  EXPECT_TRUE(forged->header("Set-Cookie"));
  tokens_->fail = true;
  auto down = call(*apis, request("/local/x", handle));
  EXPECT_EQ(down->status, 503);
  EXPECT_EQ(down->header("Retry-After"), "5");
  EXPECT_FALSE(seen_);
  tokens_->fail = false;
  auto thrown = call(*apis, request("/local/throw", handle));
  EXPECT_EQ(thrown->status, 500);
  EXPECT_EQ(thrown->header("Content-Type"), "application/problem+json");
  EXPECT_FALSE(call(*apis, request("/localx", handle))) << "not on a segment boundary";
  EXPECT_FALSE(call(*apis, request("/other", handle)));
}

TEST_F(LocalApisTest, CsrfCanBeSwitchedOff) {
  auto apis = make({.csrf = false});
  EXPECT_EQ(call(*apis, request("/local/x", login(), false))->status, 201);
}

TEST_F(LocalApisTest, PathsThatShadowTheGatewayAreRefused) {
  LocalApiHandler h = [](LocalApiRequest) -> boost::asio::awaitable<LocalApiResponse> {
    co_return LocalApiResponse{};
  };
  for (const auto* bad : {"/bff", "/bff/mine", "/api/x", "/", "relative", "/trailing/", "/q?x"}) {
    std::vector<LocalApi> apis{{bad, h, {}}};
    EXPECT_THROW(bff::LocalApis(std::move(apis), {"/bff", "/api"}, "c", "c=", tickets_, tokens_),
                 std::invalid_argument)
        << bad;
  }
}

}  // namespace
}  // namespace gatehouse::testing
