#include "test_keys.hpp"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

#include "crypto/base64.hpp"

namespace gatehouse::jose::testing {
namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

std::string bn_param(EVP_PKEY* key, const char* name, int pad) {
  BIGNUM* raw = nullptr;
  check(EVP_PKEY_get_bn_param(key, name, &raw) == 1, name);
  crypto::BignumPtr bn(raw);
  const int size = pad > 0 ? pad : BN_num_bytes(bn.get());
  std::string out(static_cast<std::size_t>(size), '\0');
  check(BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), size) == size, name);
  return crypto::base64url_encode(out);
}

std::string der_to_raw(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  crypto::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  check(sig != nullptr, "d2i_ECDSA_SIG");
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  check(BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32) == 32 &&
            BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32) == 32,
        "ECDSA r/s");
  return raw;
}

}  // namespace

crypto::PkeyPtr generate_rsa(unsigned bits) {
  crypto::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
  check(key != nullptr, "RSA keygen");
  return key;
}

crypto::PkeyPtr generate_p256() {
  crypto::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(key != nullptr, "EC keygen");
  return key;
}

boost::json::object public_jwk(EVP_PKEY* key, std::string_view kid, std::string_view alg) {
  boost::json::object jwk;
  if (EVP_PKEY_is_a(key, "RSA")) {
    jwk = {{"kty", "RSA"},
           {"n", bn_param(key, OSSL_PKEY_PARAM_RSA_N, 0)},
           {"e", bn_param(key, OSSL_PKEY_PARAM_RSA_E, 0)}};
  } else {
    jwk = {{"kty", "EC"},
           {"crv", "P-256"},
           {"x", bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, 32)},
           {"y", bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32)}};
  }
  jwk["use"] = "sig";
  if (!kid.empty()) jwk["kid"] = kid;
  if (!alg.empty()) jwk["alg"] = alg;
  return jwk;
}

std::string join_token(std::string_view header_json, std::string_view payload_json,
                       std::string_view signature) {
  return crypto::base64url_encode(header_json) + "." + crypto::base64url_encode(payload_json) +
         "." + crypto::base64url_encode(signature);
}

std::string sign_jwt(boost::json::object header, const boost::json::object& payload, EVP_PKEY* key,
                     std::string_view alg, std::string_view kid) {
  header["alg"] = alg;
  if (!kid.empty()) header["kid"] = kid;
  const std::string input = crypto::base64url_encode(boost::json::serialize(header)) + "." +
                            crypto::base64url_encode(boost::json::serialize(payload));
  const std::string bits(alg.substr(2));
  const std::string digest = "SHA" + bits;
  crypto::MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  check(
      EVP_DigestSignInit_ex(ctx.get(), &pctx, digest.c_str(), nullptr, nullptr, key, nullptr) == 1,
      "DigestSignInit");
  if (alg.starts_with("PS")) {
    check(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1,
          "PSS");
  }
  std::size_t len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  check(EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()) == 1, "DigestSign size");
  std::string signature(len, '\0');
  check(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len, data,
                       input.size()) == 1,
        "DigestSign");
  signature.resize(len);
  if (alg.starts_with("ES")) signature = der_to_raw(signature);
  return input + "." + crypto::base64url_encode(signature);
}

}  // namespace gatehouse::jose::testing

namespace gatehouse::jose::testing {

const TestKeys& test_keys() {
  static const TestKeys keys = [] {
    TestKeys k;
    k.rsa = generate_rsa(2048);
    k.rsa2 = generate_rsa(2048);
    k.ec = generate_p256();
    boost::json::object jwks{{"keys", boost::json::array{public_jwk(k.rsa.get(), "rsa-1"),
                                                         public_jwk(k.ec.get(), "ec-1")}}};
    k.jwks_json = boost::json::serialize(jwks);
    return k;
  }();
  return keys;
}

}  // namespace gatehouse::jose::testing
