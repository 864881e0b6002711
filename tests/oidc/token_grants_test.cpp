// The grants the API proxy needs, against the fake provider: refresh (RFC 6749 6, OIDC Core 12)
// and client credentials (RFC 6749 4.4), with how each failure is reported.
#include <boost/json/serialize.hpp>

#include "crypto/base64.hpp"
#include "jose/jwt.hpp"
#include "oidc_fixture.hpp"

namespace gatehouse::oidc {
namespace {

using namespace std::chrono_literals;
using boost::json::object;
using testing::form_value;
using testing::kClientId;
using testing::kSecret;
using TokenGrantsTest = testing::OidcFixture;

std::optional<std::string> header(const http::Fields& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (http::iequals(n, name)) return v;
  return std::nullopt;
}

std::string token_body(object body) {
  if (!body.contains("token_type")) body["token_type"] = "Bearer";
  return boost::json::serialize(body);
}

class RefreshTest : public TokenGrantsTest {
 protected:
  // What a provider sends back on refresh: a new ID token without nonce (OIDC Core 12.2).
  object refreshed_claims() const {
    auto c = claims();
    c.erase("nonce");
    return c;
  }
};

TEST_F(RefreshTest, NewTokensWithARotatedRefreshToken) {
  auto c = ready_client();
  provider_.set_token_response(200, token_body({{"access_token", "at-2"},
                                                {"expires_in", 300},
                                                {"refresh_token", "rt-2"},
                                                {"id_token", sign(refreshed_claims())}}));
  const auto tokens = refresh(c, "rt-1");
  ASSERT_TRUE(tokens) << tokens.error().detail;
  EXPECT_EQ(tokens->access_token, "at-2");
  EXPECT_EQ(tokens->refresh_token, "rt-2");
  EXPECT_EQ(tokens->access_token_expires_at, clock_.now() + 300s);
  EXPECT_EQ(tokens->id_token_claims.at("sub"), "alice");

  const auto requests = provider_.token_requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  EXPECT_EQ(form_value(r.body, "grant_type"), "refresh_token");
  EXPECT_EQ(form_value(r.body, "refresh_token"), "rt-1");
  EXPECT_FALSE(form_value(r.body, "scope"));  // the original grant's scopes
  EXPECT_FALSE(form_value(r.body, "resource"));
  EXPECT_FALSE(form_value(r.body, "redirect_uri"));
  EXPECT_EQ(header(r.headers, "Authorization"),
            "Basic " + crypto::base64_encode("gate%3Ahouse:s3cr%C3%A9t%2B%2F%3D%3A%25"));
  EXPECT_FALSE(header(r.headers, "DPoP"));
}

TEST_F(RefreshTest, WithoutRotationOrIdTokenAndWithAResource) {
  auto c = ready_client(TokenAuth::client_secret_post);
  provider_.set_token_response(200, token_body({{"access_token", "at-2"}}));
  const auto tokens = refresh(c, "rt-1", "https://api.example/orders");
  ASSERT_TRUE(tokens) << tokens.error().detail;
  EXPECT_EQ(tokens->access_token, "at-2");
  EXPECT_FALSE(tokens->refresh_token);  // the caller keeps using rt-1
  EXPECT_TRUE(tokens->id_token.empty());
  EXPECT_TRUE(tokens->id_token_claims.empty());
  const auto r = provider_.token_requests().at(0);
  EXPECT_EQ(form_value(r.body, "resource"), "https://api.example/orders");
  EXPECT_EQ(form_value(r.body, "client_id"), kClientId);
  EXPECT_EQ(form_value(r.body, "client_secret"), kSecret);
}

TEST_F(RefreshTest, InvalidGrantMeansTheSessionIsOver) {
  auto c = ready_client();
  provider_.set_token_response(400, R"({"error":"invalid_grant","error_description":"revoked"})");
  const auto r = refresh(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::grant_rejected);
  EXPECT_NE(r.error().detail.find("revoked"), std::string::npos) << r.error().detail;
  // Other OAuth errors are not the refresh token's death.
  provider_.set_token_response(401, R"({"error":"invalid_client"})");
  EXPECT_EQ(refresh(c).error().code, OidcErrc::token_error_response);
}

TEST_F(RefreshTest, ProviderTroubleIsTransient) {
  auto c = ready_client();
  for (const auto& [status, body] : std::vector<std::pair<int, std::string>>{
           {503, "<html>maintenance</html>"},
           {503, R"({"error":"temporarily_unavailable"})"},
           {500, R"({"error":"invalid_grant"})"},  // a 5xx says nothing about the grant
           {429, R"({"error":"slow_down"})"},
           {502, ""}}) {
    provider_.set_token_response(status, body);
    const auto r = refresh(c);
    ASSERT_FALSE(r) << status;
    EXPECT_EQ(r.error().code, OidcErrc::token_request_failed) << status << " " << body;
    EXPECT_NE(r.error().detail.find(std::to_string(status)), std::string::npos);
  }
}

TEST_F(RefreshTest, AnIdTokenForAnotherUserIsRefused) {
  auto c = ready_client();
  auto other = refreshed_claims();
  other["sub"] = "mallory";
  provider_.set_token_response(200,
                               token_body({{"access_token", "at-2"}, {"id_token", sign(other)}}));
  const auto r = refresh(c, "rt-1", std::nullopt, "alice");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::invalid_id_token);
  EXPECT_NE(r.error().detail.find("sub"), std::string::npos) << r.error().detail;
}

TEST_F(RefreshTest, TheIdTokenIsValidatedLikeAtLogin) {
  auto c = ready_client();
  const auto rejected = [&](const std::string& id_token) {
    provider_.set_token_response(200,
                                 token_body({{"access_token", "at-2"}, {"id_token", id_token}}));
    const auto r = refresh(c);
    return !r && r.error().code == OidcErrc::invalid_id_token;
  };
  auto wrong_aud = refreshed_claims();
  wrong_aud["aud"] = "another-client";
  EXPECT_TRUE(rejected(sign(wrong_aud)));
  auto wrong_iss = refreshed_claims();
  wrong_iss["iss"] = "https://evil.example";
  EXPECT_TRUE(rejected(sign(wrong_iss)));
  auto expired = refreshed_claims();
  expired["exp"] = clock_.seconds() - 3600;
  EXPECT_TRUE(rejected(sign(expired)));
  EXPECT_TRUE(rejected(sign(refreshed_claims(), jose::testing::test_keys().rsa2.get(), "rsa-1")));
  auto bad_at_hash = refreshed_claims();
  bad_at_hash["at_hash"] = jose::token_hash(jose::JwsAlg::rs256, "another-access-token");
  EXPECT_TRUE(rejected(sign(bad_at_hash)));
  provider_.set_token_response(200, token_body({{"access_token", "at-2"}, {"id_token", ""}}));
  EXPECT_EQ(refresh(c).error().code, OidcErrc::invalid_token_response);  // present but empty
  // A nonce is not required, and one from the original login does no harm.
  auto good = refreshed_claims();
  good["at_hash"] = jose::token_hash(jose::JwsAlg::rs256, "at-2");
  EXPECT_FALSE(rejected(sign(good)));
  good["nonce"] = "nonce-of-the-login";
  EXPECT_FALSE(rejected(sign(good)));
}

TEST_F(RefreshTest, NotReadyBeforeLoading) {
  auto c = client();
  EXPECT_EQ(refresh(c).error().code, OidcErrc::not_ready);
  EXPECT_EQ(client_credentials(c).error().code, OidcErrc::not_ready);
  EXPECT_TRUE(provider_.token_requests().empty());
}

TEST_F(TokenGrantsTest, ClientCredentialsSendsScopeAndResource) {
  auto c = ready_client();
  provider_.set_token_response(
      200, token_body({{"access_token", "svc-1"}, {"expires_in", 60}, {"scope", "orders:read"}}));
  const auto tokens =
      client_credentials(c, {"orders:read", "orders:write"}, "https://api.example/");
  ASSERT_TRUE(tokens) << tokens.error().detail;
  EXPECT_EQ(tokens->access_token, "svc-1");
  EXPECT_EQ(tokens->scope, "orders:read");
  EXPECT_EQ(tokens->access_token_expires_at, clock_.now() + 60s);
  const auto r = provider_.token_requests().at(0);
  EXPECT_EQ(r.body,
            "grant_type=client_credentials&scope=orders%3Aread%20orders%3Awrite"
            "&resource=https%3A%2F%2Fapi.example%2F");
  EXPECT_EQ(header(r.headers, "Authorization"),
            "Basic " + crypto::base64_encode("gate%3Ahouse:s3cr%C3%A9t%2B%2F%3D%3A%25"));
}

TEST_F(TokenGrantsTest, ClientCredentialsWithoutScopesAndWithClientSecretPost) {
  auto c = ready_client(TokenAuth::client_secret_post);
  // Neither an ID token (not even a broken one) nor a refresh token is used.
  provider_.set_token_response(
      200,
      token_body({{"access_token", "svc-1"}, {"id_token", "garbage"}, {"refresh_token", "x"}}));
  const auto tokens = client_credentials(c);
  ASSERT_TRUE(tokens) << tokens.error().detail;
  EXPECT_TRUE(tokens->id_token.empty());
  EXPECT_FALSE(tokens->refresh_token);
  const auto r = provider_.token_requests().at(0);
  EXPECT_FALSE(form_value(r.body, "scope"));
  EXPECT_FALSE(form_value(r.body, "resource"));
  EXPECT_EQ(form_value(r.body, "grant_type"), "client_credentials");
  EXPECT_EQ(form_value(r.body, "client_id"), kClientId);
}

TEST_F(TokenGrantsTest, ClientCredentialsFailures) {
  auto c = ready_client();
  provider_.set_token_response(400, R"({"error":"invalid_scope"})");
  EXPECT_EQ(client_credentials(c, {"admin"}).error().code, OidcErrc::token_error_response);
  provider_.set_token_response(200, token_body({{"expires_in", 60}}));
  EXPECT_EQ(client_credentials(c).error().code, OidcErrc::invalid_token_response);
  provider_.set_token_response(503, "");
  EXPECT_EQ(client_credentials(c).error().code, OidcErrc::token_request_failed);
}

TEST_F(TokenGrantsTest, TheCodeExchangeChecksAtHash) {
  auto c = ready_client();
  auto with_hash = claims();
  with_hash["at_hash"] = jose::token_hash(jose::JwsAlg::rs256, "at-123");
  provider_.set_id_token(sign(with_hash));
  const auto ok = exchange(c);
  ASSERT_TRUE(ok) << ok.error().detail;
  with_hash["at_hash"] = jose::token_hash(jose::JwsAlg::rs256, "at-999");
  provider_.set_id_token(sign(with_hash));
  const auto r = exchange(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::invalid_id_token);
  EXPECT_NE(r.error().detail.find("at_hash"), std::string::npos) << r.error().detail;
  // The code grant still requires its ID token.
  provider_.set_token_response(200, token_body({{"access_token", "at-123"}}));
  EXPECT_EQ(exchange(c).error().code, OidcErrc::invalid_token_response);
}

}  // namespace
}  // namespace gatehouse::oidc
