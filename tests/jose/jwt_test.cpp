#include "jose/jwt.hpp"

#include <gtest/gtest.h>

#include "test_keys.hpp"

namespace gatehouse::jose {
namespace {

using namespace std::chrono_literals;
using boost::json::array;
using boost::json::object;
using testing::sign_jwt;
using testing::test_keys;

constexpr std::int64_t kNow = 1'700'000'000;

class IdTokenTest : public ::testing::Test {
 protected:
  IdTokenTest() : jwks_(*parse_jwks(test_keys().all_algs_jwks_json)) {
    check_.issuer = "https://idp.example";
    check_.client_id = "gatehouse";
    check_.nonce = "n-0S6_WzA2Mj";
    check_.now = std::chrono::system_clock::time_point(std::chrono::seconds(kNow));
  }

  static object claims() {
    return {{"iss", "https://idp.example"},
            {"aud", "gatehouse"},
            {"sub", "alice"},
            {"exp", kNow + 300},
            {"iat", kNow - 10},
            {"nonce", "n-0S6_WzA2Mj"}};
  }

  result<object> validate(const object& payload, const char* alg = "RS256") {
    const auto [key, kid] = test_keys().for_alg(alg);
    return validate_id_token(sign_jwt({}, payload, key, alg, kid), jwks_, check_);
  }

  boost::system::error_code error_with(const char* name, boost::json::value v) {
    object c = claims();
    c[name] = std::move(v);
    auto r = validate(c);
    return r ? boost::system::error_code() : r.error();
  }

  boost::system::error_code error_without(const char* name) {
    object c = claims();
    c.erase(name);
    auto r = validate(c);
    return r ? boost::system::error_code() : r.error();
  }

  Jwks jwks_;
  IdTokenCheck check_;
};

TEST_F(IdTokenTest, ValidTokensPassForEachAlg) {
  for (const char* alg : {"RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA"}) {
    auto r = validate(claims(), alg);
    ASSERT_TRUE(r) << alg << ": " << r.error().message();
    EXPECT_EQ(r->at("sub"), "alice");
  }
}

TEST_F(IdTokenTest, Expiry) {
  EXPECT_EQ(error_with("exp", kNow - 61), JoseErrc::expired);
  EXPECT_EQ(error_with("exp", kNow - 60), JoseErrc::expired);
  EXPECT_FALSE(error_with("exp", kNow - 30));  // within the allowed clock skew
  EXPECT_FALSE(error_with("exp", static_cast<double>(kNow) + 0.5));
  EXPECT_EQ(error_without("exp"), JoseErrc::missing_claim);
  EXPECT_EQ(error_with("exp", "tomorrow"), JoseErrc::malformed);
}

TEST_F(IdTokenTest, IssuedAtAndNotBefore) {
  EXPECT_EQ(error_with("iat", kNow + 61), JoseErrc::issued_in_future);
  EXPECT_FALSE(error_with("iat", kNow + 30));
  EXPECT_EQ(error_without("iat"), JoseErrc::missing_claim);
  EXPECT_EQ(error_with("iat", nullptr), JoseErrc::malformed);
  EXPECT_EQ(error_with("nbf", kNow + 61), JoseErrc::not_yet_valid);
  EXPECT_FALSE(error_with("nbf", kNow - 1));
}

TEST_F(IdTokenTest, Issuer) {
  EXPECT_EQ(error_with("iss", "https://idp.example/"), JoseErrc::wrong_issuer);
  EXPECT_EQ(error_with("iss", "https://evil.example"), JoseErrc::wrong_issuer);
  EXPECT_EQ(error_with("iss", 1), JoseErrc::wrong_issuer);
  EXPECT_EQ(error_without("iss"), JoseErrc::missing_claim);
}

TEST_F(IdTokenTest, AudienceAndAuthorizedParty) {
  EXPECT_EQ(error_with("aud", "other"), JoseErrc::wrong_audience);
  EXPECT_EQ(error_with("aud", array{"other", "another"}), JoseErrc::wrong_audience);
  EXPECT_EQ(error_with("aud", array{}), JoseErrc::wrong_audience);
  EXPECT_EQ(error_without("aud"), JoseErrc::missing_claim);
  EXPECT_EQ(error_with("aud", 5), JoseErrc::malformed);
  EXPECT_FALSE(error_with("aud", array{"gatehouse"}));
  EXPECT_EQ(error_with("aud", array{"gatehouse", "api"}), JoseErrc::wrong_azp);

  object multi = claims();
  multi["aud"] = array{"api", "gatehouse"};
  multi["azp"] = "gatehouse";
  EXPECT_TRUE(validate(multi));
  multi["azp"] = "api";
  EXPECT_EQ(validate(multi).error(), JoseErrc::wrong_azp);
  EXPECT_EQ(error_with("azp", "someone-else"), JoseErrc::wrong_azp);
}

TEST_F(IdTokenTest, Nonce) {
  EXPECT_EQ(error_with("nonce", "n-0S6_WzA2Mk"), JoseErrc::nonce_mismatch);
  EXPECT_EQ(error_with("nonce", ""), JoseErrc::nonce_mismatch);
  EXPECT_EQ(error_with("nonce", 1), JoseErrc::nonce_mismatch);
  EXPECT_EQ(error_without("nonce"), JoseErrc::nonce_mismatch);
  check_.nonce.reset();  // e.g. an ID token from a refresh: no nonce expected
  EXPECT_FALSE(error_without("nonce"));
}

TEST_F(IdTokenTest, Subject) {
  EXPECT_EQ(error_without("sub"), JoseErrc::missing_claim);
  EXPECT_EQ(error_with("sub", ""), JoseErrc::missing_claim);
  EXPECT_EQ(error_with("sub", 42), JoseErrc::missing_claim);
}

TEST(TokenHash, OidcCoreExampleAndHashPerAlg) {
  // OIDC Core A.3 (RS256): the example access token and its at_hash.
  EXPECT_EQ(token_hash(JwsAlg::rs256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ");
  // The left half of SHA-256, -384, -512: 16, 24, 32 bytes, so 22, 32, 43 characters.
  EXPECT_EQ(token_hash(JwsAlg::es256, "at").size(), 22u);
  EXPECT_EQ(token_hash(JwsAlg::ps384, "at").size(), 32u);
  EXPECT_EQ(token_hash(JwsAlg::es384, "at"), token_hash(JwsAlg::rs384, "at"));
  EXPECT_EQ(token_hash(JwsAlg::es512, "at").size(), 43u);
  EXPECT_EQ(token_hash(JwsAlg::eddsa, "at"), token_hash(JwsAlg::rs512, "at"));  // SHA-512
  EXPECT_NE(token_hash(JwsAlg::rs256, "at"), token_hash(JwsAlg::rs256, "au"));
}

TEST_F(IdTokenTest, AtHashMustMatchTheAccessTokenWhenPresent) {
  check_.access_token = "the-access-token";
  for (const char* alg : {"RS256", "PS384", "ES256", "ES384", "ES512", "EdDSA"}) {
    const JwsAlg parsed = *parse_jws_alg(alg);
    object c = claims();
    c["at_hash"] = token_hash(parsed, "the-access-token");
    auto r = validate(c, alg);
    EXPECT_TRUE(r) << alg << ": " << r.error().message();
    c["at_hash"] = token_hash(parsed, "another-access-token");
    EXPECT_EQ(validate(c, alg).error(), JoseErrc::at_hash_mismatch) << alg;
  }
  // The hash of another alg's size is a mismatch, not a pass.
  object c = claims();
  c["at_hash"] = token_hash(JwsAlg::rs512, "the-access-token");
  EXPECT_EQ(validate(c, "RS256").error(), JoseErrc::at_hash_mismatch);
  EXPECT_EQ(error_with("at_hash", 7), JoseErrc::malformed);
  EXPECT_EQ(error_with("at_hash", ""), JoseErrc::at_hash_mismatch);
  EXPECT_FALSE(error_without("at_hash"));  // optional in the code flow (OIDC Core 3.1.3.6)
  // Without an access token to compare with, at_hash is not looked at.
  check_.access_token.reset();
  EXPECT_FALSE(error_with("at_hash", "whatever"));
}

TEST_F(IdTokenTest, SignatureIsCheckedBeforeClaims) {
  const auto& k = test_keys();
  EXPECT_EQ(validate_id_token(sign_jwt({}, claims(), k.rsa2.get(), "RS256", "rsa-2"), jwks_, check_)
                .error(),
            JoseErrc::key_not_found);
  // Signed by a key we do not trust but labelled with a trusted kid: the claims never matter.
  object expired = claims();
  expired["exp"] = 1;
  EXPECT_EQ(validate_id_token(sign_jwt({}, expired, k.rsa2.get(), "RS256", "rsa-1"), jwks_, check_)
                .error(),
            JoseErrc::bad_signature);
}

TEST_F(IdTokenTest, GenericCheckForLogoutTokens) {
  JwtCheck logout;
  logout.issuer = "https://idp.example";
  logout.audience = "gatehouse";
  logout.now = check_.now;
  logout.exp = ClaimRule::optional;
  logout.sub = ClaimRule::optional;
  logout.nonce = ClaimRule::forbidden;
  logout.typ = "logout+jwt";
  object c{{"iss", "https://idp.example"}, {"aud", "gatehouse"}, {"iat", kNow}, {"sid", "s1"}};
  const auto& k = test_keys();
  for (const char* typ : {"logout+jwt", "application/logout+jwt", "Logout+JWT"})
    EXPECT_TRUE(
        validate_jwt(sign_jwt({{"typ", typ}}, c, k.rsa.get(), "RS256", "rsa-1"), jwks_, logout))
        << typ;
  EXPECT_EQ(
      validate_jwt(sign_jwt({{"typ", "JWT"}}, c, k.rsa.get(), "RS256", "rsa-1"), jwks_, logout)
          .error(),
      JoseErrc::wrong_type);
  EXPECT_EQ(validate_jwt(sign_jwt({}, c, k.rsa.get(), "RS256", "rsa-1"), jwks_, logout).error(),
            JoseErrc::wrong_type);
  // OIDC Back-Channel Logout 2.4: typ is recommended, not required; when present it must match.
  logout.typ_required = false;
  EXPECT_TRUE(validate_jwt(sign_jwt({}, c, k.rsa.get(), "RS256", "rsa-1"), jwks_, logout));
  EXPECT_EQ(
      validate_jwt(sign_jwt({{"typ", "JWT"}}, c, k.rsa.get(), "RS256", "rsa-1"), jwks_, logout)
          .error(),
      JoseErrc::wrong_type);
  c["nonce"] = "x";
  EXPECT_EQ(validate_jwt(sign_jwt({{"typ", "logout+jwt"}}, c, k.rsa.get(), "RS256", "rsa-1"), jwks_,
                         logout)
                .error(),
            JoseErrc::nonce_mismatch);
}

}  // namespace
}  // namespace gatehouse::jose
