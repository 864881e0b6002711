// Back-channel logout tokens (OIDC Back-Channel Logout 1.0, 2.4 and 2.6): every rule on its own
// token, the JWKS refetch for an unknown kid, and refresh-token revocation (RFC 7009).
#include <boost/json/serialize.hpp>

#include "crypto/base64.hpp"
#include "http/message.hpp"
#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "oidc/logout_token.hpp"
#include "oidc_fixture.hpp"

namespace gatehouse::oidc {
namespace {

using namespace std::chrono_literals;
using boost::json::object;
using testing::kClientId;

class LogoutTokenTest : public testing::OidcFixture {
 protected:
  object logout_claims() const {
    const auto now = clock_.seconds();
    return {{"iss", provider_.issuer()},
            {"aud", kClientId},
            {"iat", now - 5},
            {"exp", now + 115},
            {"jti", "jti-1"},
            {"sub", "alice"},
            {"sid", "sid-1"},
            {"events", object{{kBackchannelLogoutEvent, object{}}}}};
  }
  static std::string sign_logout(const object& payload, object header = {{"typ", "logout+jwt"}}) {
    const auto& keys = jose::testing::test_keys();
    return jose::testing::sign_jwt(std::move(header), payload, keys.rsa.get(), "RS256", "rsa-1");
  }
  // The pure validation, with the test keys' JWKS.
  Outcome<LogoutToken> check(const std::string& token) const {
    auto jws = jose::parse_jws(token);
    if (!jws) return Failure{OidcErrc::invalid_logout_token, jws.error().message()};
    const auto jwks = jose::parse_jwks(jose::testing::test_keys().jwks_json);
    const LogoutTokenCheck c{provider_.issuer(), kClientId, clock_.now(), 60s};
    return validate_logout_token(*jws, *jwks, c);
  }
  std::string rejection(const object& payload, object header = {{"typ", "logout+jwt"}}) const {
    auto r = check(sign_logout(payload, std::move(header)));
    EXPECT_FALSE(r) << boost::json::serialize(payload);
    if (r) return "accepted";
    EXPECT_EQ(r.error().code, OidcErrc::invalid_logout_token);
    return r.error().detail;
  }
};

TEST_F(LogoutTokenTest, AValidTokenYieldsSubjectSidAndJti) {
  auto r = check(sign_logout(logout_claims()));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->issuer, provider_.issuer());
  EXPECT_EQ(r->subject, "alice");
  EXPECT_EQ(r->session_id, "sid-1");
  EXPECT_EQ(r->jti, "jti-1");
  // Remembered while it could still be accepted: here exp (+ skew) comes first.
  EXPECT_EQ(r->replay_until, clock_.now() + 115s + 60s);
}

TEST_F(LogoutTokenTest, TypIsOptionalButMustFitWhenPresent) {
  EXPECT_TRUE(check(sign_logout(logout_claims(), {})));
  EXPECT_TRUE(check(sign_logout(logout_claims(), {{"typ", "application/logout+jwt"}})));
  EXPECT_NE(rejection(logout_claims(), {{"typ", "JWT"}}), "accepted");
}

TEST_F(LogoutTokenTest, SubOrSidAloneIsEnough) {
  auto only_sid = logout_claims();
  only_sid.erase("sub");
  auto r = check(sign_logout(only_sid));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_FALSE(r->subject);
  EXPECT_EQ(r->session_id, "sid-1");
  auto only_sub = logout_claims();
  only_sub.erase("sid");
  r = check(sign_logout(only_sub));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->subject, "alice");
  EXPECT_FALSE(r->session_id);
}

TEST_F(LogoutTokenTest, WithoutExpTheAgeBoundsTheToken) {
  auto c = logout_claims();
  c.erase("exp");
  auto r = check(sign_logout(c));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->replay_until, clock_.now() - 5s + kLogoutTokenMaxAge + 60s);
  c["iat"] = clock_.seconds() - 60 - std::chrono::seconds(kLogoutTokenMaxAge).count() - 1;
  EXPECT_EQ(rejection(c), "logout token: issued too long ago (iat)");
}

TEST_F(LogoutTokenTest, EveryBrokenRuleIsRefused) {
  const auto now = clock_.seconds();
  auto with = [&](std::string_view name, boost::json::value v) {
    auto c = logout_claims();
    c[name] = std::move(v);
    return c;
  };
  auto without = [&](std::string_view name) {
    auto c = logout_claims();
    c.erase(name);
    return c;
  };
  EXPECT_EQ(rejection(without("events")), "logout token: no events claim");
  EXPECT_EQ(rejection(with("events", "logout")), "logout token: events is not a JSON object");
  EXPECT_EQ(rejection(with("events", object{{"http://schemas.openid.net/event/other", object{}}})),
            "logout token: events lacks http://schemas.openid.net/event/backchannel-logout");
  EXPECT_EQ(rejection(with("events", object{{kBackchannelLogoutEvent, "yes"}})),
            "logout token: the back-channel logout event is not a JSON object");
  auto anonymous = without("sub");
  anonymous.erase("sid");
  EXPECT_EQ(rejection(anonymous), "logout token: neither sub nor sid");
  EXPECT_EQ(rejection(with("sid", "")), "logout token: sid is not a non-empty string");
  EXPECT_EQ(rejection(with("sid", 7)), "logout token: sid is not a non-empty string");
  EXPECT_NE(rejection(with("sub", "")), "accepted");
  EXPECT_EQ(rejection(without("jti")), "logout token: no jti");
  EXPECT_EQ(rejection(with("jti", "")), "logout token: jti is not a non-empty string");
  EXPECT_EQ(rejection(with("jti", boost::json::string(kMaxJtiBytes + 1, 'j'))),
            "logout token: jti is not a non-empty string");
  EXPECT_NE(rejection(with("nonce", "n")), "accepted");
  EXPECT_NE(rejection(with("iss", "https://evil.example")), "accepted");
  EXPECT_NE(rejection(with("aud", "someone-else")), "accepted");
  EXPECT_NE(rejection(without("iat")), "accepted");
  EXPECT_NE(rejection(with("iat", now + 120)), "accepted");  // beyond the 60 s skew
  EXPECT_NE(rejection(with("exp", now - 120)), "accepted");
  EXPECT_NE(rejection(with("exp", "tomorrow")), "accepted");
}

TEST_F(LogoutTokenTest, ClientRefusesForgedAndUnsignedTokens) {
  auto c = ready_client();
  const auto claims = boost::json::serialize(logout_claims());
  for (const std::string& token :
       {std::string("not-a-jwt"), jose::testing::join_token(R"({"alg":"none"})", claims, ""),
        jose::testing::join_token(R"({"alg":"HS256"})", claims, "c2ln"),
        sign_logout(logout_claims()) + "x"}) {
    auto r = gatehouse::testing::run(io_, c.validate_logout_token(token));
    ASSERT_FALSE(r) << token;
    EXPECT_EQ(r.error().code, OidcErrc::invalid_logout_token) << token;
  }
}

TEST_F(LogoutTokenTest, ClientRefetchesTheJwksForAnUnknownKid) {
  const auto& keys = jose::testing::test_keys();
  const object rotated{{"keys", {jose::testing::public_jwk(keys.rsa2.get(), "rsa-2", "RS256")}}};
  provider_.set_jwks({keys.jwks_json, boost::json::serialize(rotated)});
  auto c = ready_client();
  const auto token =
      jose::testing::sign_jwt({}, logout_claims(), keys.rsa2.get(), "RS256", "rsa-2");
  auto r = gatehouse::testing::run(io_, c.validate_logout_token(token));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->subject, "alice");
  EXPECT_EQ(provider_.jwks_fetches(), 2);
  // A kid that no JWKS has: refused, and the refetch is rate-limited.
  const auto foreign =
      jose::testing::sign_jwt({}, logout_claims(), keys.rsa.get(), "RS256", "nope");
  auto refused = gatehouse::testing::run(io_, c.validate_logout_token(foreign));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().detail, "logout token: unknown signing key");
  EXPECT_EQ(provider_.jwks_fetches(), 2);
}

TEST_F(LogoutTokenTest, ClientIsNotReadyBeforeDiscovery) {
  auto c = client();
  auto r = gatehouse::testing::run(io_, c.validate_logout_token(sign_logout(logout_claims())));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::not_ready);
}

using testing::form_value;

using RevocationTest = testing::OidcFixture;

TEST_F(RevocationTest, RevokesWithClientAuthentication) {
  provider_.enable_revocation(200);
  auto c = ready_client(TokenAuth::client_secret_post);
  ASSERT_TRUE(c.can_revoke());
  const auto revoked = gatehouse::testing::run(io_, c.revoke_refresh_token("rt/+ 1"));
  ASSERT_TRUE(revoked) << revoked.error().detail;
  const auto requests = provider_.revocation_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(form_value(requests[0].body, "token"), "rt/+ 1");
  EXPECT_EQ(form_value(requests[0].body, "token_type_hint"), "refresh_token");
  EXPECT_EQ(form_value(requests[0].body, "client_id"), kClientId);
  EXPECT_EQ(form_value(requests[0].body, "client_secret"), testing::kSecret);
}

TEST_F(RevocationTest, RefusalAndMissingEndpointAreErrors) {
  auto without = ready_client();
  EXPECT_FALSE(without.can_revoke());
  auto r = gatehouse::testing::run(io_, without.revoke_refresh_token("rt"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::revocation_failed);
  EXPECT_TRUE(provider_.revocation_requests().empty());

  provider_.enable_revocation(503);
  auto c = ready_client();
  r = gatehouse::testing::run(io_, c.revoke_refresh_token("rt"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::revocation_failed);
  EXPECT_NE(r.error().detail.find("HTTP 503"), std::string::npos) << r.error().detail;
}

}  // namespace
}  // namespace gatehouse::oidc
