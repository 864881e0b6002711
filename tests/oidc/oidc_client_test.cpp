// The client against a fake provider over loopback HTTP: discovery, the authorization request,
// the code exchange with both client authentication methods, and provider failures.
#include <boost/json/serialize.hpp>

#include "crypto/base64.hpp"
#include "crypto/digest.hpp"
#include "http/message.hpp"
#include "oidc_fixture.hpp"

namespace gatehouse::oidc {
namespace {

using namespace std::chrono_literals;
using testing::kClientId;
using testing::kSecret;
using OidcClientTest = testing::OidcFixture;

using testing::form_value;

std::optional<std::string> header(const http::Fields& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (http::iequals(n, name)) return v;
  return std::nullopt;
}

std::string query_of(const std::string& url) {
  return url.substr(url.find('?') + 1);
}

TEST_F(OidcClientTest, DiscoveryLoadsMetadataAndKeys) {
  auto c = client();
  EXPECT_FALSE(c.ready());
  const auto loaded = load(c);
  ASSERT_TRUE(loaded) << loaded.error().detail;
  ASSERT_TRUE(c.ready());
  const auto& m = c.metadata();
  EXPECT_EQ(m.issuer, provider_.issuer());
  EXPECT_EQ(m.token_endpoint, provider_.issuer() + "/token");
  EXPECT_EQ(m.end_session_endpoint, provider_.issuer() + "/logout");
  EXPECT_FALSE(m.revocation_endpoint);
  EXPECT_TRUE(m.iss_parameter_supported);
  EXPECT_EQ(m.token_endpoint_auth_methods.size(), 2u);
  // Loading again refreshes the JWKS and keeps the metadata (and references to it) stable.
  ASSERT_TRUE(load(c));
  EXPECT_EQ(&c.metadata(), &m);
  EXPECT_EQ(provider_.jwks_fetches(), 2);
}

TEST_F(OidcClientTest, LoginUrlCarriesPkceStateAndNonce) {
  auto c = ready_client();
  const auto a = c.begin_login("login");
  const auto b = c.begin_login();
  ASSERT_TRUE(a.url.starts_with(provider_.issuer() + "/authorize?")) << a.url;
  const auto q = query_of(a.url);
  EXPECT_EQ(form_value(q, "response_type"), "code");
  EXPECT_EQ(form_value(q, "client_id"), kClientId);
  EXPECT_EQ(form_value(q, "redirect_uri"), "https://app.example/signin-oidc");
  EXPECT_EQ(form_value(q, "scope"), "openid profile");
  EXPECT_EQ(form_value(q, "state"), a.state);
  EXPECT_EQ(form_value(q, "nonce"), a.nonce);
  EXPECT_EQ(form_value(q, "code_challenge_method"), "S256");
  EXPECT_EQ(form_value(q, "code_challenge"),
            crypto::base64url_encode(crypto::sha256(a.code_verifier)));
  EXPECT_EQ(form_value(q, "prompt"), "login");
  EXPECT_FALSE(form_value(query_of(b.url), "prompt"));
  // The redirect URI's ':' and '/' are escaped, not passed raw.
  EXPECT_NE(a.url.find("redirect_uri=https%3A%2F%2Fapp.example%2Fsignin-oidc"), std::string::npos);

  EXPECT_GE(a.state.size(), 22u);  // >= 128 bits of base64url
  EXPECT_GE(a.code_verifier.size(), 43u);
  EXPECT_NE(a.state, b.state);
  EXPECT_NE(a.nonce, b.nonce);
  EXPECT_NE(a.code_verifier, b.code_verifier);
  EXPECT_NE(a.state, a.nonce);
}

TEST_F(OidcClientTest, ExchangeWithClientSecretBasic) {
  auto c = ready_client(TokenAuth::client_secret_basic);
  const auto login = c.begin_login();
  provider_.set_id_token(sign(claims(login.nonce)));

  auto tokens = exchange(c, "code/+ 1", login.code_verifier, login.nonce);
  ASSERT_TRUE(tokens) << tokens.error().detail;
  EXPECT_EQ(tokens->access_token, "at-123");
  EXPECT_EQ(tokens->refresh_token, "rt-456");
  EXPECT_EQ(tokens->token_type, "Bearer");
  EXPECT_EQ(tokens->access_token_expires_at, clock_.now() + 3600s);
  EXPECT_EQ(tokens->id_token_claims.at("sub"), "alice");

  const auto requests = provider_.token_requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  // RFC 6749 §2.3.1: form-encode id and secret, then Base64 "id:secret".
  EXPECT_EQ(header(r.headers, "Authorization"),
            "Basic " + crypto::base64_encode("gate%3Ahouse:s3cr%C3%A9t%2B%2F%3D%3A%25"));
  EXPECT_EQ(header(r.headers, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(form_value(r.body, "grant_type"), "authorization_code");
  EXPECT_EQ(form_value(r.body, "code"), "code/+ 1");
  EXPECT_EQ(form_value(r.body, "code_verifier"), login.code_verifier);
  EXPECT_EQ(form_value(r.body, "redirect_uri"), "https://app.example/signin-oidc");
  EXPECT_FALSE(form_value(r.body, "client_secret"));
}

TEST_F(OidcClientTest, ExchangeWithClientSecretPost) {
  auto c = ready_client(TokenAuth::client_secret_post);
  provider_.set_id_token(sign(claims()));
  const auto tokens = exchange(c);
  ASSERT_TRUE(tokens) << tokens.error().detail;

  const auto requests = provider_.token_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(header(requests[0].headers, "Authorization"));
  EXPECT_EQ(form_value(requests[0].body, "client_id"), kClientId);
  EXPECT_EQ(form_value(requests[0].body, "client_secret"), kSecret);
  EXPECT_EQ(form_value(requests[0].body, "code_verifier"), "the-verifier");
}

TEST_F(OidcClientTest, IssuerMustMatchTheAuthorityExactly) {
  auto doc = provider_.discovery();
  doc["issuer"] = provider_.issuer() + "/";
  provider_.set_discovery(boost::json::serialize(doc));
  auto c = client();
  const auto r = load(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::issuer_mismatch);
  EXPECT_FALSE(c.ready());
}

TEST_F(OidcClientTest, DiscoveryThatIsNotJsonOrTooLargeFails) {
  provider_.set_discovery("<html>sign in</html>");
  auto c = client();
  auto r = load(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::discovery_failed);

  auto doc = provider_.discovery();
  doc["padding"] = std::string(300 * 1024, 'x');
  provider_.set_discovery(boost::json::serialize(doc));
  r = load(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::discovery_failed);
  EXPECT_NE(r.error().detail.find("discovery"), std::string::npos);
  EXPECT_FALSE(c.ready());

  // The app retries until the provider is fixed.
  provider_.set_discovery(boost::json::serialize(provider_.discovery()));
  r = load(c);
  EXPECT_TRUE(r) << r.error().detail;
}

TEST_F(OidcClientTest, BadJwksFailsLoading) {
  provider_.set_jwks({R"({"keys":"nope"})"});
  auto c = client();
  const auto r = load(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::jwks_failed);
  EXPECT_FALSE(c.ready());
}

TEST_F(OidcClientTest, TokenErrorResponseIsTyped) {
  auto c = ready_client();
  // invalid_grant: the code is dead (expired, used, or for another client).
  provider_.set_token_response(
      400, R"({"error":"invalid_grant","error_description":"code expired\r\nforged: line"})");
  const auto r = exchange(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::grant_rejected);
  const auto detail = r.error().detail;
  EXPECT_NE(detail.find("invalid_grant"), std::string::npos);
  EXPECT_NE(detail.find("code expired"), std::string::npos);
  EXPECT_EQ(detail.find('\n'), std::string::npos);  // provider text cannot forge log lines

  provider_.set_token_response(401, R"({"error":"invalid_client"})");
  const auto r1 = exchange(c);
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code, OidcErrc::token_error_response);
  EXPECT_NE(r1.error().detail.find("invalid_client"), std::string::npos);

  provider_.set_token_response(502, "<html>bad gateway</html>");
  const auto r2 = exchange(c);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, OidcErrc::token_request_failed);
  EXPECT_NE(r2.error().detail.find("502"), std::string::npos);
}

TEST_F(OidcClientTest, UnusableTokenResponseIsRejected) {
  auto c = ready_client();
  provider_.set_token_response(200, R"({"access_token":"a","token_type":"DPoP","id_token":"x"})");
  const auto r = exchange(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::invalid_token_response);
}

TEST_F(OidcClientTest, TokenEndpointTimeout) {
  auto s = settings();
  s.http_timeout = 200ms;
  OidcClient c(io_.get_executor(), s, clock_.clock());
  const auto loaded = load(c);
  ASSERT_TRUE(loaded) << loaded.error().detail;
  provider_.set_id_token(sign(claims()));
  provider_.set_token_delay(600ms);
  const auto r = exchange(c);  // would succeed after 600 ms
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::token_request_failed);
  EXPECT_NE(r.error().detail.find("timed out"), std::string::npos);
}

TEST_F(OidcClientTest, NotReadyBeforeLoading) {
  auto c = client();
  const auto r = exchange(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::not_ready);
  EXPECT_THROW(c.begin_login(), std::logic_error);
  EXPECT_FALSE(c.end_session_url("h", "https://app.example/", "s"));
  EXPECT_EQ(provider_.token_requests().size(), 0u);
}

TEST_F(OidcClientTest, EndSessionUrlEncodesEveryParameter) {
  auto c = ready_client();
  const auto url = c.end_session_url("eyJ.a-b_c.d", "https://app.example/bye?x=1&y=a b", "s/t+");
  EXPECT_EQ(url, provider_.issuer() +
                     "/logout?id_token_hint=eyJ.a-b_c.d"
                     "&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye%3Fx%3D1%26y%3Da%20b"
                     "&state=s%2Ft%2B&client_id=gate%3Ahouse");

  auto doc = provider_.discovery();
  doc.erase("end_session_endpoint");
  provider_.set_discovery(boost::json::serialize(doc));
  auto without = client();
  ASSERT_TRUE(load(without));
  EXPECT_FALSE(without.end_session_url("h", "https://app.example/", "s"));
}

TEST_F(OidcClientTest, SettingsAreCheckedAtConstruction) {
  auto s = settings();
  s.authority = "http://idp.example";
  EXPECT_THROW(OidcClient(io_.get_executor(), s), std::invalid_argument);
  s = settings();
  s.scopes = {"profile"};
  EXPECT_THROW(OidcClient(io_.get_executor(), s), std::invalid_argument);
  s = settings();
  s.authority = "https://idp.example";
  EXPECT_NO_THROW(OidcClient(io_.get_executor(), s));
}

}  // namespace
}  // namespace gatehouse::oidc
