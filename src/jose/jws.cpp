#include "jose/jws.hpp"

#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include "crypto/base64.hpp"
#include "crypto/openssl_ptr.hpp"
#include "jose/bounded_json.hpp"

namespace gatehouse::jose {
namespace {

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// JOSE carries ECDSA signatures as fixed-size r || s; OpenSSL verifies DER ECDSA-Sig-Value.
std::optional<std::string> raw_to_der(std::string_view raw, std::size_t expected_size) {
  if (expected_size == 0 || raw.size() != expected_size) return std::nullopt;
  const std::size_t half = raw.size() / 2;
  crypto::EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes(raw), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw) + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

bool is_pss(JwsAlg alg) {
  return alg == JwsAlg::ps256 || alg == JwsAlg::ps384 || alg == JwsAlg::ps512;
}

result<JwsAlg> header_alg(const boost::json::object& header) {
  const auto* alg = header.if_contains("alg");
  if (!alg || !alg->is_string()) return JoseErrc::malformed;
  const std::string_view name = alg->get_string();
  // "none" in any letter case: some libraries compared case-insensitively.
  if (name.size() == 4 && (name[0] | 0x20) == 'n' && (name[1] | 0x20) == 'o' &&
      (name[2] | 0x20) == 'n' && (name[3] | 0x20) == 'e')
    return JoseErrc::alg_none;
  const auto parsed = parse_jws_alg(name);
  if (!parsed) return JoseErrc::unsupported_alg;
  return *parsed;
}

}  // namespace

result<Jws> parse_jws(std::string_view token) {
  if (token.size() > kMaxJwsBytes) return JoseErrc::too_large;
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == token.npos ? token.npos : token.find('.', dot1 + 1);
  if (dot2 == token.npos || token.find('.', dot2 + 1) != token.npos) return JoseErrc::malformed;
  const auto header_json = crypto::base64url_decode(token.substr(0, dot1));
  const auto payload_json = crypto::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  const auto signature = crypto::base64url_decode(token.substr(dot2 + 1));
  if (!header_json || !payload_json || !signature || signature->empty()) return JoseErrc::malformed;

  Jws jws;
  auto header = parse_json_object(*header_json, kMaxJwsBytes);
  if (!header) return header.error();
  jws.header = std::move(*header);
  auto alg = header_alg(jws.header);
  if (!alg) return alg.error();
  jws.alg = *alg;
  if (jws.header.contains("crit")) return JoseErrc::unsupported_crit;
  if (const auto* kid = jws.header.if_contains("kid")) {
    if (!kid->is_string()) return JoseErrc::malformed;
    jws.kid = std::string(kid->get_string());
  }
  if (const auto* typ = jws.header.if_contains("typ")) {
    if (!typ->is_string()) return JoseErrc::malformed;
    jws.typ = std::string(typ->get_string());
  }
  auto payload = parse_json_object(*payload_json, kMaxJwsBytes);
  if (!payload) return payload.error();
  jws.payload = std::move(*payload);
  jws.signing_input = std::string(token.substr(0, dot2));
  jws.signature = std::move(*signature);
  return jws;
}

result<void> verify(const Jws& jws, const Jwk& key) {
  if (!key.fits(jws.alg) || !key.key) return JoseErrc::key_alg_mismatch;
  std::string der;
  std::string_view signature = jws.signature;
  // RFC 8017 (RSASSA-PSS-VERIFY and -PKCS1-V1_5-VERIFY, step 1): an RSA signature is exactly
  // as long as the modulus. OpenSSL accepts shorter PSS signatures (a leading zero byte dropped),
  // which would make signatures malleable.
  if (key.type == KeyType::rsa &&
      jws.signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.key.get())))
    return JoseErrc::bad_signature;
  if (const std::size_t raw_size = ecdsa_signature_bytes(jws.alg)) {
    auto converted = raw_to_der(jws.signature, raw_size);
    if (!converted) return JoseErrc::bad_signature;
    der = std::move(*converted);
    signature = der;
  }
  crypto::MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  // digest_name is nullptr for EdDSA: Ed25519 hashes inside the scheme, one-shot only.
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), &pctx, digest_name(jws.alg), nullptr, nullptr,
                                      key.key.get(), nullptr) != 1)
    return JoseErrc::bad_signature;
  if (is_pss(jws.alg) &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
       EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, digest_name(jws.alg), nullptr) != 1))
    return JoseErrc::bad_signature;
  if (EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(jws.signing_input),
                       jws.signing_input.size()) != 1)
    return JoseErrc::bad_signature;
  return {};
}

}  // namespace gatehouse::jose
