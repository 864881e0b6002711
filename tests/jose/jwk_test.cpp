#include "jose/jwk.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "crypto/base64.hpp"
#include "test_keys.hpp"

namespace gatehouse::jose {
namespace {

using testing::public_jwk;
using testing::test_keys;

std::string jwks_of(std::initializer_list<boost::json::object> keys) {
  boost::json::array array;
  for (const auto& k : keys) array.push_back(k);
  return boost::json::serialize(boost::json::object{{"keys", std::move(array)}});
}

std::size_t usable(const std::string& json) {
  auto jwks = parse_jwks(json);
  EXPECT_TRUE(jwks) << json;
  return jwks ? jwks->size() : 0;
}

TEST(Jwks, ParsesRsaAndEcKeys) {
  auto jwks = parse_jwks(test_keys().jwks_json);
  ASSERT_TRUE(jwks);
  ASSERT_EQ(jwks->size(), 2u);
  EXPECT_EQ(jwks->find("rsa-1", "RS256"), &jwks->keys()[0]);
  EXPECT_EQ(jwks->find("rsa-1", "PS256"), &jwks->keys()[0]);
  EXPECT_EQ(jwks->find("ec-1", "ES256"), &jwks->keys()[1]);
}

TEST(Jwks, KeyTypeMustFitAlg) {
  auto jwks = parse_jwks(test_keys().jwks_json);
  ASSERT_TRUE(jwks);
  EXPECT_EQ(jwks->find("rsa-1", "ES256"), nullptr);
  EXPECT_EQ(jwks->find("ec-1", "RS256"), nullptr);
  EXPECT_EQ(jwks->find("rsa-1", "HS256"), nullptr);
  EXPECT_EQ(jwks->select("rsa-1", JwsAlg::es256).error(), JoseErrc::key_alg_mismatch);
  EXPECT_EQ(jwks->select("nope", JwsAlg::rs256).error(), JoseErrc::key_not_found);
}

TEST(Jwks, JwkAlgPinsTheAlgorithm) {
  auto jwks = parse_jwks(jwks_of({public_jwk(test_keys().rsa.get(), "r", "PS256")}));
  ASSERT_TRUE(jwks);
  EXPECT_NE(jwks->find("r", "PS256"), nullptr);
  EXPECT_EQ(jwks->find("r", "RS256"), nullptr);
}

TEST(Jwks, WithoutKidOnlyAnUnambiguousKeyIsUsed) {
  auto one = parse_jwks(jwks_of({public_jwk(test_keys().rsa.get(), "")}));
  ASSERT_TRUE(one);
  EXPECT_NE(one->find("", "RS256"), nullptr);
  EXPECT_EQ(one->find("", "ES256"), nullptr);
  auto both = parse_jwks(test_keys().jwks_json);
  ASSERT_TRUE(both);
  EXPECT_NE(both->find("", "ES256"), nullptr);  // the only EC key
  auto two_rsa = parse_jwks(
      jwks_of({public_jwk(test_keys().rsa.get(), "a"), public_jwk(test_keys().rsa2.get(), "b")}));
  ASSERT_TRUE(two_rsa);
  EXPECT_EQ(two_rsa->find("", "RS256"), nullptr);
}

TEST(Jwks, SkipsKeysItCannotUse) {
  const auto& k = test_keys();
  auto small = testing::generate_rsa(1024);
  EXPECT_EQ(usable(jwks_of({public_jwk(small.get(), "small")})), 0u);
  auto enc = public_jwk(k.rsa.get(), "enc");
  enc["use"] = "enc";
  auto hs = public_jwk(k.rsa.get(), "hs", "HS256");
  auto ec_as_rsa = public_jwk(k.ec.get(), "x", "RS256");
  auto p384 = public_jwk(k.ec.get(), "p384");
  p384["crv"] = "P-384";
  auto oct = boost::json::object{{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "oct"}};
  auto ops = public_jwk(k.rsa.get(), "ops");
  ops["key_ops"] = boost::json::array{"encrypt"};
  auto padded = public_jwk(k.rsa.get(), "pad");
  padded["e"] = "AQAB=";
  auto kid_number = public_jwk(k.rsa.get(), "");
  kid_number["kid"] = 7;
  EXPECT_EQ(usable(jwks_of({enc, hs, ec_as_rsa, p384, oct, ops, padded, kid_number})), 0u);
  EXPECT_EQ(usable(jwks_of({oct, public_jwk(k.rsa.get(), "ok")})), 1u);
}

TEST(Jwks, ParsesP384P521AndEd25519Keys) {
  const auto& k = test_keys();
  auto jwks = parse_jwks(k.all_algs_jwks_json);
  ASSERT_TRUE(jwks);
  ASSERT_EQ(jwks->size(), 5u);
  EXPECT_TRUE(jwks->skipped().empty());
  EXPECT_EQ(jwks->keys()[2].type, KeyType::ec_p384);
  EXPECT_EQ(jwks->keys()[3].type, KeyType::ec_p521);
  EXPECT_EQ(jwks->keys()[4].type, KeyType::ed25519);
  EXPECT_EQ(jwks->find("ec384-1", "ES384"), &jwks->keys()[2]);
  EXPECT_EQ(jwks->find("ec521-1", "ES512"), &jwks->keys()[3]);
  EXPECT_EQ(jwks->find("ed-1", "EdDSA"), &jwks->keys()[4]);
  // Without a kid, the only key of the right curve.
  EXPECT_EQ(jwks->find("", "ES384"), &jwks->keys()[2]);
  EXPECT_EQ(jwks->find("", "EdDSA"), &jwks->keys()[4]);
  // Each curve verifies its own alg only.
  EXPECT_EQ(jwks->select("ec-1", JwsAlg::es384).error(), JoseErrc::key_alg_mismatch);
  EXPECT_EQ(jwks->select("ec384-1", JwsAlg::es256).error(), JoseErrc::key_alg_mismatch);
  EXPECT_EQ(jwks->select("ec521-1", JwsAlg::es384).error(), JoseErrc::key_alg_mismatch);
  EXPECT_EQ(jwks->select("ed-1", JwsAlg::es256).error(), JoseErrc::key_alg_mismatch);
  EXPECT_EQ(jwks->select("rsa-1", JwsAlg::eddsa).error(), JoseErrc::key_alg_mismatch);
}

TEST(Jwks, SkipsKeysWhoseAlgOrCurveDoesNotFit) {
  const auto& k = test_keys();
  auto p256_as_es384 = public_jwk(k.ec.get(), "a", "ES384");
  auto p384_as_es256 = public_jwk(k.ec384.get(), "b", "ES256");
  auto ed_as_es256 = public_jwk(k.ed25519.get(), "c", "ES256");
  auto ec_as_eddsa = public_jwk(k.ec.get(), "d", "EdDSA");
  // The point of one curve named as another: wrong coordinate sizes, or not on that curve.
  auto p384_named_p521 = public_jwk(k.ec384.get(), "e");
  p384_named_p521["crv"] = "P-521";
  auto p521_short = public_jwk(k.ec521.get(), "f");
  const auto x = *crypto::base64url_decode(p521_short["x"].as_string());
  p521_short["x"] = crypto::base64url_encode(x.substr(1));  // leading zeros must stay
  auto ed448 = public_jwk(k.ed25519.get(), "g");
  ed448["crv"] = "Ed448";
  auto x25519 = public_jwk(k.ed25519.get(), "h");
  x25519["crv"] = "X25519";
  auto ed_short = public_jwk(k.ed25519.get(), "i");
  ed_short["x"] = crypto::base64url_encode(std::string(31, 'x'));
  auto okp_no_crv = public_jwk(k.ed25519.get(), "j");
  okp_no_crv.erase("crv");
  auto secp256k1 = public_jwk(k.ec.get(), "k");
  secp256k1["crv"] = "secp256k1";
  const auto json =
      jwks_of({p256_as_es384, p384_as_es256, ed_as_es256, ec_as_eddsa, p384_named_p521, p521_short,
               ed448, x25519, ed_short, okp_no_crv, secp256k1});
  auto jwks = parse_jwks(json);
  ASSERT_TRUE(jwks);
  EXPECT_EQ(jwks->size(), 0u);
  ASSERT_EQ(jwks->skipped().size(), 11u);
  EXPECT_EQ(jwks->skipped()[0].kid, "a");
  for (const auto& skipped : jwks->skipped()) EXPECT_EQ(skipped.reason, KeySkip::unusable);
  // With the fitting alg the same keys are fine.
  EXPECT_EQ(usable(jwks_of({public_jwk(k.ec384.get(), "a", "ES384"),
                            public_jwk(k.ed25519.get(), "c", "EdDSA")})),
            2u);
}

TEST(Jwks, RejectsEcPointNotOnCurve) {
  auto jwk = public_jwk(test_keys().ec.get(), "ec");
  auto y = *crypto::base64url_decode(jwk["y"].as_string());
  y.back() = static_cast<char>(y.back() ^ 1);
  jwk["y"] = crypto::base64url_encode(y);
  EXPECT_EQ(usable(jwks_of({jwk})), 0u);
  jwk["y"] = crypto::base64url_encode(std::string(32, '\0'));
  jwk["x"] = crypto::base64url_encode(std::string(32, '\0'));
  EXPECT_EQ(usable(jwks_of({jwk})), 0u);
  for (EVP_PKEY* key : {test_keys().ec384.get(), test_keys().ec521.get()}) {
    auto other = public_jwk(key, "ec");
    auto oy = *crypto::base64url_decode(other["y"].as_string());
    oy.back() = static_cast<char>(oy.back() ^ 1);
    other["y"] = crypto::base64url_encode(oy);
    EXPECT_EQ(usable(jwks_of({other})), 0u) << other["crv"];
  }
}

TEST(Jwks, BoundsAndStructure) {
  EXPECT_EQ(parse_jwks(std::string(kMaxJwksBytes + 1, ' ')).error(), JoseErrc::too_large);
  boost::json::array many;
  for (int i = 0; i < 65; ++i) many.push_back(boost::json::object{{"kty", "oct"}});
  EXPECT_EQ(parse_jwks(boost::json::serialize(boost::json::object{{"keys", many}})).error(),
            JoseErrc::too_large);
  EXPECT_EQ(
      parse_jwks(R"({"keys":[)" + std::string(100, '[') + std::string(100, ']') + "]}").error(),
      JoseErrc::too_large);
  EXPECT_EQ(parse_jwks("not json").error(), JoseErrc::malformed);
  EXPECT_EQ(parse_jwks(R"([{"keys":[]}])").error(), JoseErrc::malformed);
  EXPECT_EQ(parse_jwks(R"({"keys":{}})").error(), JoseErrc::malformed);
  EXPECT_EQ(parse_jwks(R"({})").error(), JoseErrc::malformed);
  EXPECT_EQ(usable(R"({"keys":[1,"x",null,{}]})"), 0u);
  // Two keys under one member name would let two parsers see different key sets.
  EXPECT_EQ(parse_jwks(R"({"keys":[],"keys":[]})").error(), JoseErrc::malformed);
  auto dup = boost::json::serialize(public_jwk(test_keys().rsa.get(), "rsa-1"));
  dup.insert(1, R"("kid":"other",)");
  EXPECT_EQ(parse_jwks(R"({"keys":[)" + dup + "]}").error(), JoseErrc::malformed);
}

}  // namespace
}  // namespace gatehouse::jose
