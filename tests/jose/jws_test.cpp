#include "jose/jws.hpp"

#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <boost/json/serialize.hpp>

#include "crypto/base64.hpp"
#include "crypto/digest.hpp"
#include "test_keys.hpp"

namespace gatehouse::jose {
namespace {

using testing::join_token;
using testing::sign_jwt;
using testing::test_keys;

const boost::json::object kPayload{{"sub", "alice"}, {"iss", "https://idp"}};

result<void> parse_and_verify(std::string_view token) {
  static const Jwks jwks = *parse_jwks(test_keys().all_algs_jwks_json);
  auto jws = parse_jws(token);
  if (!jws) return jws.error();
  auto key = jwks.select(jws->kid, jws->alg);
  if (!key) return key.error();
  return verify(*jws, **key);
}

std::string signed_with(std::string_view alg) {
  const auto [key, kid] = test_keys().for_alg(alg);
  return sign_jwt({}, kPayload, key, alg, kid);
}

class EachAlg : public ::testing::TestWithParam<const char*> {};

TEST_P(EachAlg, ValidSignatureVerifies) {
  const std::string token = signed_with(GetParam());
  EXPECT_TRUE(parse_and_verify(token)) << token;
  auto jws = parse_jws(token);
  ASSERT_TRUE(jws);
  EXPECT_EQ(jws_alg_name(jws->alg), GetParam());
  EXPECT_EQ(jws->payload.at("sub"), "alice");
}

TEST_P(EachAlg, TamperedPayloadOrSignatureFails) {
  const std::string token = signed_with(GetParam());
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = token.rfind('.');
  const std::string evil_payload =
      crypto::base64url_encode(R"({"sub":"mallory","iss":"https://idp"})");
  EXPECT_EQ(parse_and_verify(token.substr(0, dot1 + 1) + evil_payload + token.substr(dot2)).error(),
            JoseErrc::bad_signature);
  auto signature = *crypto::base64url_decode(token.substr(dot2 + 1));
  for (const std::size_t i : {std::size_t{0}, signature.size() / 2, signature.size() - 1}) {
    std::string bad = signature;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_EQ(parse_and_verify(token.substr(0, dot2 + 1) + crypto::base64url_encode(bad)).error(),
              JoseErrc::bad_signature);
  }
  EXPECT_EQ(
      parse_and_verify(token.substr(0, dot2 + 1) + crypto::base64url_encode(signature.substr(1)))
          .error(),
      JoseErrc::bad_signature);
  // The same integer with a leading zero byte is a different encoding: not the signature.
  EXPECT_EQ(parse_and_verify(token.substr(0, dot2 + 1) +
                             crypto::base64url_encode(std::string(1, '\0') + signature))
                .error(),
            JoseErrc::bad_signature);
}

INSTANTIATE_TEST_SUITE_P(Jws, EachAlg,
                         ::testing::Values("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                                           "ES256", "ES384", "ES512", "EdDSA"));

TEST(Jws, AlgNoneIsRejected) {
  for (const char* none : {"none", "None", "NONE"}) {
    const std::string header = std::string(R"({"alg":")") + none + R"(","kid":"rsa-1"})";
    EXPECT_EQ(parse_jws(join_token(header, "{}", "x")).error(), JoseErrc::alg_none);
  }
}

TEST(Jws, HmacWithThePublicKeyAsSecretIsRejected) {
  // The classic confusion: sign HS256 with the RSA public key bytes a verifier might use as secret.
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), test_keys().rsa.get()), 1);
  char* pem = nullptr;
  const long pem_len = BIO_get_mem_data(bio.get(), &pem);
  const std::string secret(pem, static_cast<std::size_t>(pem_len));
  const std::string input = crypto::base64url_encode(R"({"alg":"HS256","kid":"rsa-1"})") + "." +
                            crypto::base64url_encode(boost::json::serialize(kPayload));
  const std::string token =
      input + "." + crypto::base64url_encode(crypto::hmac_sha256(secret, input));
  EXPECT_EQ(parse_and_verify(token).error(), JoseErrc::unsupported_alg);
  for (const char* alg : {"HS384", "HS512", "RS1", "ES256K", "Ed25519", "EDDSA", "es256", ""}) {
    const std::string header = std::string(R"({"alg":")") + alg + R"("})";
    EXPECT_EQ(parse_jws(join_token(header, "{}", "x")).error(), JoseErrc::unsupported_alg) << alg;
  }
}

TEST(Jws, KeyTypeMustMatchAlg) {
  const auto& k = test_keys();
  // An ES256 header naming the RSA key's kid, and the other way round.
  EXPECT_EQ(parse_and_verify(sign_jwt({}, kPayload, k.ec.get(), "ES256", "rsa-1")).error(),
            JoseErrc::key_alg_mismatch);
  EXPECT_EQ(parse_and_verify(sign_jwt({}, kPayload, k.rsa.get(), "RS256", "ec-1")).error(),
            JoseErrc::key_alg_mismatch);
  // verify() itself refuses a mismatched key, whoever chose it.
  const Jwks jwks = *parse_jwks(k.jwks_json);
  auto jws = parse_jws(sign_jwt({}, kPayload, k.ec.get(), "ES256", "ec-1"));
  ASSERT_TRUE(jws);
  EXPECT_EQ(verify(*jws, jwks.keys()[0]).error(), JoseErrc::key_alg_mismatch);
  // An RS256 signature presented as PS256 does not verify.
  auto rs = sign_jwt({}, kPayload, k.rsa.get(), "RS256", "rsa-1");
  auto relabelled =
      crypto::base64url_encode(R"({"alg":"PS256","kid":"rsa-1"})") + rs.substr(rs.find('.'));
  EXPECT_EQ(parse_and_verify(relabelled).error(), JoseErrc::bad_signature);
}

// The token with its header replaced, signature kept.
std::string with_header(const std::string& token, const std::string& header_json) {
  return crypto::base64url_encode(header_json) + token.substr(token.find('.'));
}

TEST(Jws, EachCurveVerifiesOnlyItsOwnAlg) {
  const auto& k = test_keys();
  // A header claiming one alg, naming a key of another curve or type.
  const std::pair<const char*, const char*> relabel[] = {
      {"ES384", "ec-1"}, {"ES256", "ec384-1"}, {"ES512", "ec384-1"}, {"ES384", "ec521-1"},
      {"EdDSA", "ec-1"}, {"ES256", "ed-1"},    {"RS256", "ed-1"},    {"EdDSA", "rsa-1"},
  };
  const std::string token = sign_jwt({}, kPayload, k.ec.get(), "ES256", "ec-1");
  for (const auto& [alg, kid] : relabel) {
    const std::string header = std::string(R"({"alg":")") + alg + R"(","kid":")" + kid + R"("})";
    EXPECT_EQ(parse_and_verify(with_header(token, header)).error(), JoseErrc::key_alg_mismatch)
        << alg << " with " << kid;
  }
  // verify() refuses a key of another curve even when handed one directly.
  const Jwks jwks = *parse_jwks(k.all_algs_jwks_json);
  ASSERT_EQ(jwks.size(), 5u);
  auto es384 = parse_jws(signed_with("ES384"));
  auto eddsa = parse_jws(signed_with("EdDSA"));
  ASSERT_TRUE(es384 && eddsa);
  for (const auto& key : jwks.keys()) {
    const auto expected = [&](const char* own) {
      return key.kid == own ? boost::system::error_code() : JoseErrc::key_alg_mismatch;
    };
    const auto error_of = [](const result<void>& r) {
      return r ? boost::system::error_code() : r.error();
    };
    EXPECT_EQ(error_of(verify(*es384, key)), expected("ec384-1")) << key.kid;
    EXPECT_EQ(error_of(verify(*eddsa, key)), expected("ed-1")) << key.kid;
  }
}

TEST(Jws, EcdsaSignaturesHaveTheCurvesFixedSize) {
  // r || s of another curve's size (or DER) never verifies, even for the same integers.
  for (const char* alg : {"ES256", "ES384", "ES512"}) {
    const std::string token = signed_with(alg);
    const std::size_t dot2 = token.rfind('.');
    const std::string raw = *crypto::base64url_decode(token.substr(dot2 + 1));
    const std::size_t half = raw.size() / 2;
    const std::string padded =
        std::string(1, '\0') + raw.substr(0, half) + std::string(1, '\0') + raw.substr(half);
    EXPECT_EQ(
        parse_and_verify(token.substr(0, dot2 + 1) + crypto::base64url_encode(padded)).error(),
        JoseErrc::bad_signature)
        << alg;
    EXPECT_EQ(parse_and_verify(token.substr(0, dot2 + 1) +
                               crypto::base64url_encode(raw + std::string(1, '\0')))
                  .error(),
              JoseErrc::bad_signature)
        << alg;
  }
}

TEST(Jws, UnknownKidIsKeyNotFound) {
  const auto& k = test_keys();
  EXPECT_EQ(parse_and_verify(sign_jwt({}, kPayload, k.rsa2.get(), "RS256", "rsa-2")).error(),
            JoseErrc::key_not_found);
}

TEST(Jws, CritHeaderIsRejected) {
  const auto& k = test_keys();
  const std::string token = sign_jwt({{"crit", boost::json::array{"exp"}}, {"exp", 1}}, kPayload,
                                     k.rsa.get(), "RS256", "rsa-1");
  EXPECT_EQ(parse_jws(token).error(), JoseErrc::unsupported_crit);
}

TEST(Jws, MalformedTokens) {
  const std::string good = signed_with("RS256");
  const std::size_t dot1 = good.find('.');
  const std::string header = good.substr(0, dot1);
  const std::string cases[] = {
      "",
      "abc",
      "a.b",
      good + ".x",
      good + ".",
      "." + good,
      header + ".." + good.substr(good.rfind('.') + 1),
      good.substr(0, good.rfind('.') + 1),  // empty signature
      good + "=",
      header + "=" + good.substr(dot1),
      "+" + good.substr(1),
      " " + good,
      good.substr(0, 10) + "\n" + good.substr(10),
      join_token("[]", "{}", "sig"),
      join_token(R"({"alg":"RS256"})", "[]", "sig"),
      join_token(R"({"alg":"RS256"})", "123", "sig"),
      join_token(R"({"alg":"RS256"})", "not json", "sig"),
      join_token(R"({"alg":"RS256"})", R"("str")", "sig"),
      join_token(R"({"alg":RS256})", "{}", "sig"),
      join_token(R"({"kid":"rsa-1"})", "{}", "sig"),
      join_token(R"({"alg":256})", "{}", "sig"),
      join_token(R"({"alg":"RS256","kid":7})", "{}", "sig"),
      join_token(R"({"alg":"RS256","typ":null})", "{}", "sig"),
  };
  for (const auto& token : cases) {
    auto jws = parse_jws(token);
    ASSERT_FALSE(jws) << token;
    EXPECT_EQ(jws.error(), JoseErrc::malformed) << token;
  }
}

TEST(Jws, SizeAndDepthBounds) {
  boost::json::object big = kPayload;
  big["pad"] = std::string(kMaxJwsBytes, 'a');
  EXPECT_EQ(parse_jws(signed_with("RS256") + std::string(kMaxJwsBytes, 'A')).error(),
            JoseErrc::too_large);
  EXPECT_EQ(parse_jws(sign_jwt({}, big, test_keys().rsa.get(), "RS256", "rsa-1")).error(),
            JoseErrc::too_large);
  const std::string deep = R"({"a":)" + std::string(50, '[') + std::string(50, ']') + "}";
  EXPECT_EQ(parse_jws(join_token(R"({"alg":"RS256"})", deep, "sig")).error(), JoseErrc::too_large);
}

}  // namespace
}  // namespace gatehouse::jose
