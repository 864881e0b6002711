// CVE-2017-15361 (ROCA): the fingerprint test, and RSALib-made keys kept out of the JWKS.
#include "jose/roca.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "crypto/base64.hpp"
#include "crypto/openssl_ptr.hpp"
#include "jose/jwk.hpp"
#include "test_keys.hpp"

namespace gatehouse::jose {
namespace {

crypto::BignumPtr from_hex(const char* hex) {
  BIGNUM* bn = nullptr;
  EXPECT_GT(BN_hex2bn(&bn, hex), 0);
  return crypto::BignumPtr(bn);
}

crypto::BignumPtr modulus_of(EVP_PKEY* key) {
  BIGNUM* n = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, "n", &n), 1);
  return crypto::BignumPtr(n);
}

std::string b64_of(const BIGNUM* bn) {
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  return crypto::base64url_encode(bytes);
}

using testing::kRsaLibModulusHex;

TEST(Roca, RsaLibModulusHasTheFingerprint) {
  const auto n = from_hex(kRsaLibModulusHex);
  ASSERT_EQ(BN_num_bits(n.get()), 2048);
  EXPECT_TRUE(has_roca_fingerprint(n.get()));
}

TEST(Roca, OrdinaryKeysDoNotHaveIt) {
  const auto& k = testing::test_keys();
  EXPECT_FALSE(has_roca_fingerprint(modulus_of(k.rsa.get()).get()));
  EXPECT_FALSE(has_roca_fingerprint(modulus_of(k.rsa2.get()).get()));
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(has_roca_fingerprint(modulus_of(testing::generate_rsa(2048).get()).get()));
}

TEST(Roca, EveryPrimeOfTheTestCounts) {
  // Moving the RSALib modulus by 2 * 3 * ... * 167 keeps every residue: still fingerprinted.
  // Moving it by that product without one prime r changes only n mod r; for each r some shift
  // leaves the subgroup of powers of 65537 mod r, and the test must then say no.
  const auto n = from_hex(kRsaLibModulusHex);
  const unsigned primes[] = {3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,
                             47,  53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103,
                             107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};
  const auto product_without = [&](unsigned skipped) {
    crypto::BignumPtr m(BN_new());
    BN_one(m.get());
    bool ok = BN_mul_word(m.get(), 2) == 1;
    for (const unsigned r : primes) ok = ok && (r == skipped || BN_mul_word(m.get(), r) == 1);
    EXPECT_TRUE(ok);
    return m;
  };
  crypto::BignumPtr shifted(BN_new());
  ASSERT_EQ(BN_add(shifted.get(), n.get(), product_without(0).get()), 1);
  EXPECT_TRUE(has_roca_fingerprint(shifted.get()));
  for (const unsigned r : primes) {
    const auto step = product_without(r);
    bool left = false;
    BN_copy(shifted.get(), n.get());
    for (unsigned i = 1; i < r && !left; ++i) {
      ASSERT_EQ(BN_add(shifted.get(), shifted.get(), step.get()), 1);
      left = !has_roca_fingerprint(shifted.get());
    }
    EXPECT_TRUE(left) << "the residue mod " << r << " is never checked";
  }
}

TEST(Roca, AFingerprintedKeyIsSkippedWithItsKid) {
  const auto n = from_hex(kRsaLibModulusHex);
  const auto roca = testing::rsalib_jwk("tpm-key");
  EXPECT_EQ(roca.at("n").as_string(), b64_of(n.get()));
  const auto good = testing::public_jwk(testing::test_keys().rsa.get(), "rsa-1");
  const auto json =
      boost::json::serialize(boost::json::object{{"keys", boost::json::array{roca, good}}});
  const auto jwks = parse_jwks(json);
  ASSERT_TRUE(jwks);
  ASSERT_EQ(jwks->size(), 1u);
  EXPECT_EQ(jwks->keys()[0].kid, "rsa-1");
  ASSERT_EQ(jwks->skipped().size(), 1u);
  EXPECT_EQ(jwks->skipped()[0].kid, "tpm-key");
  EXPECT_EQ(jwks->skipped()[0].reason, KeySkip::roca_fingerprint);
  EXPECT_EQ(jwks->find("tpm-key", "RS256"), nullptr);
}

}  // namespace
}  // namespace gatehouse::jose
