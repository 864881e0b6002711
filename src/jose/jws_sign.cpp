#include "jose/jws_sign.hpp"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <boost/json/serialize.hpp>

#include <array>
#include <stdexcept>
#include <string_view>

#include "crypto/base64.hpp"
#include "crypto/digest.hpp"
#include "crypto/openssl_ptr.hpp"

namespace gatehouse::jose {
namespace {

constexpr int kP256Bytes = 32;

void require_p256(EVP_PKEY* key, const char* what) {
  char group[32] = {};
  std::size_t len = 0;
  if (!key || !EVP_PKEY_is_a(key, "EC") ||
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) !=
          1 ||
      std::string_view(group, len) != "prime256v1")
    throw std::invalid_argument(std::string(what) + ": not a P-256 key");
}

std::string coordinate(EVP_PKEY* key, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1)
    throw std::runtime_error("P-256 public key: cannot read its point");
  const crypto::BignumPtr bn(raw);
  std::string out(kP256Bytes, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), kP256Bytes) !=
      kP256Bytes)
    throw std::runtime_error("P-256 public key: coordinate too large");
  return crypto::base64url_encode(out);
}

// OpenSSL signs DER ECDSA-Sig-Value; JOSE wants fixed-size r || s.
std::string der_to_raw(const unsigned char* der, std::size_t len) {
  const unsigned char* p = der;
  const crypto::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  std::string raw(2 * kP256Bytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (!sig || BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, kP256Bytes) != kP256Bytes ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kP256Bytes, kP256Bytes) != kP256Bytes)
    throw std::runtime_error("ES256: unexpected signature encoding");
  return raw;
}

// RFC 7638 3.2: the required members of each key type, already in lexicographic order.
struct ThumbprintMembers {
  std::string_view kty;
  std::array<std::string_view, 4> names;
  std::size_t count;
};
constexpr ThumbprintMembers kThumbprintMembers[] = {
    {"EC", {"crv", "kty", "x", "y"}, 4},
    {"RSA", {"e", "kty", "n"}, 3},
    {"OKP", {"crv", "kty", "x"}, 3},
};

const boost::json::string* string_member(const boost::json::object& jwk, std::string_view name) {
  const auto* v = jwk.if_contains(name);
  return v && v->is_string() ? &v->get_string() : nullptr;
}

}  // namespace

std::string sign_es256(boost::json::object header, const boost::json::object& payload,
                       EVP_PKEY* key) {
  require_p256(key, "sign_es256");
  header["alg"] = "ES256";
  const std::string input = crypto::base64url_encode(boost::json::serialize(header)) + "." +
                            crypto::base64url_encode(boost::json::serialize(payload));
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  crypto::MdCtxPtr ctx(EVP_MD_CTX_new());
  // A DER ECDSA-Sig-Value for P-256 is at most 72 bytes.
  std::array<unsigned char, 80> der{};
  std::size_t len = der.size();
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), der.data(), &len, data, input.size()) != 1)
    throw std::runtime_error("ES256 signing failed");
  return input + "." + crypto::base64url_encode(der_to_raw(der.data(), len));
}

boost::json::object p256_public_jwk(EVP_PKEY* key) {
  require_p256(key, "p256_public_jwk");
  return {{"kty", "EC"},
          {"crv", "P-256"},
          {"x", coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X)},
          {"y", coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y)}};
}

result<std::string> jwk_thumbprint(const boost::json::object& jwk) {
  const auto* kty = string_member(jwk, "kty");
  if (!kty) return JoseErrc::malformed;
  for (const auto& members : kThumbprintMembers) {
    if (*kty != members.kty) continue;
    // Insertion order is serialization order, and the names are sorted.
    boost::json::object canonical;
    for (std::size_t i = 0; i < members.count; ++i) {
      const auto* v = string_member(jwk, members.names[i]);
      if (!v) return JoseErrc::malformed;
      canonical[members.names[i]] = *v;
    }
    return crypto::base64url_encode(crypto::sha256(boost::json::serialize(canonical)));
  }
  return JoseErrc::malformed;
}

}  // namespace gatehouse::jose
