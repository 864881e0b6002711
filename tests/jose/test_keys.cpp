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

std::string der_to_raw(std::string_view der, int half) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  crypto::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  check(sig != nullptr, "d2i_ECDSA_SIG");
  std::string raw(2 * static_cast<std::size_t>(half), '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  check(BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, half) == half &&
            BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + half, half) == half,
        "ECDSA r/s");
  return raw;
}

struct CurveInfo {
  const char* crv;
  int coordinate_bytes;
};

CurveInfo curve_of(EVP_PKEY* key) {
  char group[32] = {};
  std::size_t len = 0;
  check(EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) == 1,
        "group name");
  const std::string_view name(group, len);
  if (name == "prime256v1") return {"P-256", 32};
  if (name == "secp384r1") return {"P-384", 48};
  check(name == "secp521r1", "known curve");
  return {"P-521", 66};
}

}  // namespace

crypto::PkeyPtr generate_rsa(unsigned bits) {
  crypto::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
  check(key != nullptr, "RSA keygen");
  return key;
}

crypto::PkeyPtr generate_p256() {
  return generate_ec("P-256");
}

crypto::PkeyPtr generate_ec(const char* curve) {
  crypto::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
  check(key != nullptr, "EC keygen");
  return key;
}

crypto::PkeyPtr generate_ed25519() {
  crypto::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  check(key != nullptr, "Ed25519 keygen");
  return key;
}

boost::json::object public_jwk(EVP_PKEY* key, std::string_view kid, std::string_view alg) {
  boost::json::object jwk;
  if (EVP_PKEY_is_a(key, "RSA")) {
    jwk = {{"kty", "RSA"},
           {"n", bn_param(key, OSSL_PKEY_PARAM_RSA_N, 0)},
           {"e", bn_param(key, OSSL_PKEY_PARAM_RSA_E, 0)}};
  } else if (EVP_PKEY_is_a(key, "ED25519")) {
    std::string x(32, '\0');
    std::size_t len = x.size();
    check(EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(x.data()), &len) == 1 &&
              len == 32,
          "Ed25519 public key");
    jwk = {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", crypto::base64url_encode(x)}};
  } else {
    const auto curve = curve_of(key);
    jwk = {{"kty", "EC"},
           {"crv", curve.crv},
           {"x", bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, curve.coordinate_bytes)},
           {"y", bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, curve.coordinate_bytes)}};
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
  const bool eddsa = alg == "EdDSA";
  const std::string digest = eddsa ? "" : "SHA" + std::string(alg.substr(2));
  crypto::MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  check(EVP_DigestSignInit_ex(ctx.get(), &pctx, eddsa ? nullptr : digest.c_str(), nullptr, nullptr,
                              key, nullptr) == 1,
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
  if (alg.starts_with("ES")) signature = der_to_raw(signature, curve_of(key).coordinate_bytes);
  return input + "." + crypto::base64url_encode(signature);
}

// Built with tests/jose/make_roca_modulus.py.
const char* const kRsaLibModulusHex =
    "a6aabf40767caf9010803c38ece40a3eb4fa28c4549ee5ab094467dc04467d71e6a3a6e887c28ec13072efef"
    "b8b9dc1d89cef39b54b46b46fb612d2b4f36c57be75fa2313d64bfc2cbb25fcbe8c848e80cfe23df75d7a3de"
    "b4707140d1c0d054ebdd8d12d0179b77a35464a2da8c4958ffe2f6a59ebb623aa17ddd82e74b94f5f68dd65d"
    "9280e2b5bdef9ed1f09a7516909718e9cdeeeb61906b881610ee0552ff12981796d77dcd90173fa917abf045"
    "2e256b05ec24101b75f6baa66c4b41004fb6d7631da6a41bf69620c8cf27819f038d32107ed4f12a30815d36"
    "60b0099547a3582da1153c4e70c9a2f7984b348be3a65ebd06b22864a5a0145527d82b53";

boost::json::object rsalib_jwk(std::string_view kid) {
  BIGNUM* raw = nullptr;
  check(BN_hex2bn(&raw, kRsaLibModulusHex) > 0, "RSALib modulus");
  const crypto::BignumPtr n(raw);
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(n.get())), '\0');
  BN_bn2bin(n.get(), reinterpret_cast<unsigned char*>(bytes.data()));
  return {{"kty", "RSA"},
          {"kid", kid},
          {"use", "sig"},
          {"n", crypto::base64url_encode(bytes)},
          {"e", "AQAB"}};
}

}  // namespace gatehouse::jose::testing

namespace gatehouse::jose::testing {

const TestKeys& test_keys() {
  static const TestKeys keys = [] {
    TestKeys k;
    k.rsa = generate_rsa(2048);
    k.rsa2 = generate_rsa(2048);
    k.ec = generate_p256();
    k.ec384 = generate_ec("P-384");
    k.ec521 = generate_ec("P-521");
    k.ed25519 = generate_ed25519();
    boost::json::array jwks{public_jwk(k.rsa.get(), "rsa-1"), public_jwk(k.ec.get(), "ec-1")};
    k.jwks_json = boost::json::serialize(boost::json::object{{"keys", jwks}});
    jwks.push_back(public_jwk(k.ec384.get(), "ec384-1"));
    jwks.push_back(public_jwk(k.ec521.get(), "ec521-1"));
    jwks.push_back(public_jwk(k.ed25519.get(), "ed-1"));
    k.all_algs_jwks_json = boost::json::serialize(boost::json::object{{"keys", jwks}});
    return k;
  }();
  return keys;
}

std::pair<EVP_PKEY*, const char*> TestKeys::for_alg(std::string_view alg) const {
  if (alg == "ES256") return {ec.get(), "ec-1"};
  if (alg == "ES384") return {ec384.get(), "ec384-1"};
  if (alg == "ES512") return {ec521.get(), "ec521-1"};
  if (alg == "EdDSA") return {ed25519.get(), "ed-1"};
  return {rsa.get(), "rsa-1"};
}

}  // namespace gatehouse::jose::testing
