// The signing side: ES256 compact JWS that our own verifier (and OpenSSL) accept, public JWKs
// and RFC 7638 thumbprints.
#include "jose/jws_sign.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "crypto/base64.hpp"
#include "crypto/digest.hpp"
#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "test_keys.hpp"

namespace gatehouse::jose {
namespace {

using testing::test_keys;

Jwks jwks_with(const boost::json::object& jwk) {
  return *parse_jwks(boost::json::serialize(boost::json::object{{"keys", {jwk}}}));
}

TEST(JwsSign, Es256TokensVerify) {
  const auto& k = test_keys();
  const boost::json::object payload{{"sub", "gatehouse"}, {"n", 1}};
  const std::string token =
      sign_es256({{"typ", "dpop+jwt"}, {"alg", "RS256"}}, payload, k.ec.get());
  auto jws = parse_jws(token);
  ASSERT_TRUE(jws);
  EXPECT_EQ(jws->alg, JwsAlg::es256);  // "alg" is always set to what was used
  EXPECT_EQ(jws->typ, "dpop+jwt");
  EXPECT_EQ(jws->payload, payload);
  EXPECT_EQ(jws->signature.size(), 64u);
  const Jwks jwks = jwks_with(p256_public_jwk(k.ec.get()));
  ASSERT_EQ(jwks.size(), 1u);
  EXPECT_TRUE(verify(*jws, jwks.keys()[0]));
  // ECDSA is randomised: two signatures of the same input differ, both verify.
  const std::string again = sign_es256({}, payload, k.ec.get());
  EXPECT_NE(again.substr(again.rfind('.')), token.substr(token.rfind('.')));
  EXPECT_TRUE(verify(*parse_jws(again), jwks.keys()[0]));
  // Another P-256 key does not verify it.
  const auto other = testing::generate_p256();
  EXPECT_EQ(verify(*jws, jwks_with(p256_public_jwk(other.get())).keys()[0]).error(),
            JoseErrc::bad_signature);
}

TEST(JwsSign, OnlyP256KeysSign) {
  const auto& k = test_keys();
  EXPECT_THROW(sign_es256({}, {}, k.rsa.get()), std::invalid_argument);
  EXPECT_THROW(sign_es256({}, {}, k.ec384.get()), std::invalid_argument);
  EXPECT_THROW(sign_es256({}, {}, k.ed25519.get()), std::invalid_argument);
  EXPECT_THROW(sign_es256({}, {}, nullptr), std::invalid_argument);
  EXPECT_THROW(p256_public_jwk(k.rsa.get()), std::invalid_argument);
}

TEST(JwsSign, PublicJwkHasNoPrivatePart) {
  const auto jwk = p256_public_jwk(test_keys().ec.get());
  EXPECT_EQ(jwk.size(), 4u);
  EXPECT_EQ(jwk.at("kty"), "EC");
  EXPECT_EQ(jwk.at("crv"), "P-256");
  EXPECT_EQ(crypto::base64url_decode(jwk.at("x").as_string())->size(), 32u);
  EXPECT_EQ(crypto::base64url_decode(jwk.at("y").as_string())->size(), 32u);
  EXPECT_FALSE(jwk.contains("d"));
  auto expected = testing::public_jwk(test_keys().ec.get(), "");
  expected.erase("use");
  EXPECT_EQ(jwk, expected);
}

TEST(JwsSign, ThumbprintOfTheRfc7638Example) {
  // RFC 7638 3.1: members outside the required set (alg, kid) do not count.
  const boost::json::object jwk{
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
       "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
       "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
       "bFTWhAI4vMQ"
       "Fh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"}};
  EXPECT_EQ(jwk_thumbprint(jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(JwsSign, ThumbprintOfEcAndOkpKeys) {
  const auto jwk = p256_public_jwk(test_keys().ec.get());
  const std::string canonical = R"({"crv":"P-256","kty":"EC","x":")" +
                                std::string(jwk.at("x").as_string()) + R"(","y":")" +
                                std::string(jwk.at("y").as_string()) + R"("})";
  EXPECT_EQ(jwk_thumbprint(jwk), crypto::base64url_encode(crypto::sha256(canonical)));
  // Member order and extra members do not change it.
  boost::json::object shuffled{{"y", jwk.at("y")}, {"use", "sig"}, {"x", jwk.at("x")},
                               {"kty", "EC"},      {"kid", "k"},   {"crv", "P-256"}};
  EXPECT_EQ(jwk_thumbprint(shuffled), jwk_thumbprint(jwk));
  const boost::json::object okp{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "abc"}};
  EXPECT_EQ(jwk_thumbprint(okp),
            crypto::base64url_encode(crypto::sha256(R"({"crv":"Ed25519","kty":"OKP","x":"abc"})")));
  for (const char* missing : {"crv", "kty", "x", "y"}) {
    auto broken = jwk;
    broken.erase(missing);
    EXPECT_EQ(jwk_thumbprint(broken).error(), JoseErrc::malformed) << missing;
  }
  EXPECT_EQ(jwk_thumbprint({{"kty", "oct"}, {"k", "c2VjcmV0"}}).error(), JoseErrc::malformed);
  auto number = jwk;
  number["x"] = 5;
  EXPECT_EQ(jwk_thumbprint(number).error(), JoseErrc::malformed);
}

TEST(JwsSign, ConcurrentSigningWithOneKey) {
  const auto& k = test_keys();
  const Jwks jwks = jwks_with(p256_public_jwk(k.ec.get()));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        auto jws = parse_jws(sign_es256({}, {{"i", t * 1000 + i}}, k.ec.get()));
        if (!jws || !verify(*jws, jwks.keys()[0])) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace gatehouse::jose
