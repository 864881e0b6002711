#include "jose/jwk.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <boost/json/array.hpp>

#include <variant>

#include "crypto/base64.hpp"
#include "crypto/openssl_ptr.hpp"
#include "jose/bounded_json.hpp"
#include "jose/roca.hpp"

namespace gatehouse::jose {
namespace {

using crypto::BignumPtr;
using crypto::OsslParamBldPtr;
using crypto::OsslParamPtr;
using crypto::PkeyCtxPtr;
using crypto::PkeyPtr;

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
constexpr std::size_t kEd25519KeyBytes = 32;

struct Curve {
  std::string_view crv;  // JWK name (RFC 7518 6.2.1.1)
  const char* group;     // OpenSSL group name
  std::size_t coordinate_bytes;
  KeyType type;
};
constexpr Curve kCurves[] = {
    {"P-256", "prime256v1", 32, KeyType::ec_p256},
    {"P-384", "secp384r1", 48, KeyType::ec_p384},
    {"P-521", "secp521r1", 66, KeyType::ec_p521},
};

struct BuiltKey {
  PkeyPtr key;  // nullptr: skipped for `why`
  KeySkip why = KeySkip::unusable;
  KeyType type = KeyType::rsa;
};

std::optional<std::string> b64_member(const boost::json::object& obj, std::string_view name) {
  const auto* v = obj.if_contains(name);
  if (!v || !v->is_string()) return std::nullopt;
  return crypto::base64url_decode(v->get_string());
}

std::string_view strip_leading_zeros(std::string_view bytes) {
  while (!bytes.empty() && bytes.front() == '\0') bytes.remove_prefix(1);
  return bytes;
}

BignumPtr to_bignum(std::string_view bytes) {
  return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size()), nullptr));
}

PkeyPtr from_params(const char* type, OSSL_PARAM_BLD* bld) {
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return PkeyPtr(raw);
}

BuiltKey rsa_key(const boost::json::object& jwk) {
  const auto n = b64_member(jwk, "n");
  const auto e = b64_member(jwk, "e");
  if (!n || !e) return {};
  const std::string_view modulus = strip_leading_zeros(*n);
  const std::string_view exponent = strip_leading_zeros(*e);
  // Bound the work a hostile JWKS can cause before OpenSSL sees the numbers.
  if (modulus.size() * 8 < kMinRsaBits || modulus.size() * 8 > kMaxRsaBits) return {};
  if (exponent.empty() || exponent.size() > 8 || (exponent.back() & 1) == 0) return {};
  BignumPtr bn_n = to_bignum(modulus);
  BignumPtr bn_e = to_bignum(exponent);
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || BN_is_one(bn_e.get()) ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    return {};
  if (has_roca_fingerprint(bn_n.get())) return {nullptr, KeySkip::roca_fingerprint};
  PkeyPtr key = from_params("RSA", bld.get());
  if (!key || EVP_PKEY_get_bits(key.get()) < kMinRsaBits) return {};
  return {std::move(key)};
}

const Curve* curve_of(const boost::json::object& jwk) {
  const auto* crv = jwk.if_contains("crv");
  if (!crv || !crv->is_string()) return nullptr;
  for (const auto& c : kCurves)
    if (crv->get_string() == c.crv) return &c;
  return nullptr;
}

PkeyPtr ec_key(const boost::json::object& jwk, const Curve& curve) {
  const auto x = b64_member(jwk, "x");
  const auto y = b64_member(jwk, "y");
  // RFC 7518 6.2.1.2: each coordinate is exactly the curve's size, leading zeros kept.
  if (!x || !y || x->size() != curve.coordinate_bytes || y->size() != curve.coordinate_bytes)
    return nullptr;
  std::string point = "\x04" + *x + *y;  // SEC1 uncompressed point
  OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1)
    return nullptr;
  PkeyPtr key = from_params("EC", bld.get());
  if (!key) return nullptr;
  // An off-curve point enables invalid-curve attacks; check explicitly rather than rely on import.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return key;
}

// RFC 8037 2: kty OKP, crv Ed25519, x the 32-byte public key. Ed448 and X25519 are skipped.
PkeyPtr ed25519_key(const boost::json::object& jwk) {
  const auto* crv = jwk.if_contains("crv");
  if (!crv || !crv->is_string() || crv->get_string() != "Ed25519") return nullptr;
  const auto x = b64_member(jwk, "x");
  if (!x || x->size() != kEd25519KeyBytes) return nullptr;
  return PkeyPtr(EVP_PKEY_new_raw_public_key_ex(
      nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
}

bool usable_for_signatures(const boost::json::object& jwk) {
  if (const auto* use = jwk.if_contains("use");
      use && (!use->is_string() || use->get_string() != "sig"))
    return false;
  if (const auto* ops = jwk.if_contains("key_ops")) {
    if (!ops->is_array()) return false;
    bool verify = false;
    for (const auto& op : ops->get_array())
      verify = verify || (op.is_string() && op.get_string() == "verify");
    if (!verify) return false;
  }
  return true;
}

BuiltKey build_key(const boost::json::object& jwk) {
  const auto* kty = jwk.if_contains("kty");
  if (!kty || !kty->is_string()) return {};
  if (kty->get_string() == "RSA") return rsa_key(jwk);
  if (kty->get_string() == "EC") {
    const Curve* curve = curve_of(jwk);
    if (!curve) return {};
    return {ec_key(jwk, *curve), KeySkip::unusable, curve->type};
  }
  if (kty->get_string() == "OKP") return {ed25519_key(jwk), KeySkip::unusable, KeyType::ed25519};
  return {};
}

// The key, or why it was skipped (with its kid, for the log).
std::variant<Jwk, SkippedKey> parse_jwk(const boost::json::value& value) {
  const auto* obj = value.if_object();
  if (!obj) return SkippedKey{};
  Jwk jwk;
  if (const auto* kid = obj->if_contains("kid")) {
    if (!kid->is_string()) return SkippedKey{};
    jwk.kid = std::string(kid->get_string());
  }
  const SkippedKey unusable{jwk.kid, KeySkip::unusable};
  if (!usable_for_signatures(*obj)) return unusable;
  if (const auto* alg = obj->if_contains("alg")) {
    if (!alg->is_string()) return unusable;
    jwk.alg = parse_jws_alg(alg->get_string());
    if (!jwk.alg) return unusable;
  }
  BuiltKey built = build_key(*obj);
  if (!built.key) return SkippedKey{jwk.kid, built.why};
  jwk.type = built.type;
  jwk.key = std::shared_ptr<EVP_PKEY>(built.key.release(), EVP_PKEY_free);
  if (jwk.alg && !jwk.fits(*jwk.alg)) return unusable;
  return jwk;
}

}  // namespace

bool Jwk::fits(JwsAlg token_alg) const {
  return key_type_for(token_alg) == type && (!alg || *alg == token_alg);
}

const Jwk* Jwks::find(std::string_view kid, JwsAlg alg) const {
  const Jwk* only = nullptr;
  std::size_t fitting = 0;
  for (const auto& k : keys_) {
    if (!k.fits(alg)) continue;
    if (!kid.empty() && k.kid == kid) return &k;
    ++fitting;
    only = &k;
  }
  return kid.empty() && fitting == 1 ? only : nullptr;
}

const Jwk* Jwks::find(std::string_view kid, std::string_view alg) const {
  const auto parsed = parse_jws_alg(alg);
  return parsed ? find(kid, *parsed) : nullptr;
}

result<const Jwk*> Jwks::select(std::string_view kid, JwsAlg alg) const {
  if (const Jwk* k = find(kid, alg)) return k;
  for (const auto& k : keys_)
    if (!kid.empty() && k.kid == kid) return JoseErrc::key_alg_mismatch;
  return JoseErrc::key_not_found;
}

result<Jwks> parse_jwks(std::string_view json) {
  auto root = parse_json_object(json, kMaxJwksBytes);
  if (!root) return root.error();
  const auto* keys = root->if_contains("keys");
  if (!keys || !keys->is_array()) return JoseErrc::malformed;
  if (keys->get_array().size() > kMaxJwksKeys) return JoseErrc::too_large;
  std::vector<Jwk> parsed;
  std::vector<SkippedKey> skipped;
  for (const auto& v : keys->get_array()) {
    auto jwk = parse_jwk(v);
    if (auto* ok = std::get_if<Jwk>(&jwk))
      parsed.push_back(std::move(*ok));
    else
      skipped.push_back(std::move(std::get<SkippedKey>(jwk)));
  }
  ERR_clear_error();  // rejected keys leave entries on this thread's OpenSSL error queue
  return Jwks(std::move(parsed), std::move(skipped));
}

}  // namespace gatehouse::jose
