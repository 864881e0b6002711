#include "jose/jwt.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <cmath>
#include <stdexcept>

#include "crypto/base64.hpp"
#include "crypto/digest.hpp"

namespace gatehouse::jose {
namespace {

using boost::json::object;
using boost::json::value;
using Seconds = std::chrono::duration<double>;

// The claim, nullptr when absent and allowed to be, or an error by the rule.
result<const value*> claim(const object& claims, std::string_view name, ClaimRule rule,
                           JoseErrc when_forbidden = JoseErrc::malformed) {
  const value* v = claims.if_contains(name);
  if (!v && rule == ClaimRule::required) return JoseErrc::missing_claim;
  if (v && rule == ClaimRule::forbidden) return when_forbidden;
  return v;
}

// NumericDate (RFC 7519 2): integer or fractional seconds since the epoch.
result<std::optional<double>> numeric_date(const object& claims, std::string_view name,
                                           ClaimRule rule) {
  auto v = claim(claims, name, rule);
  if (!v) return v.error();
  if (!*v) return std::optional<double>();
  double seconds = 0;
  if ((*v)->is_int64()) {
    seconds = static_cast<double>((*v)->get_int64());
  } else if ((*v)->is_uint64()) {
    seconds = static_cast<double>((*v)->get_uint64());
  } else if ((*v)->is_double() && std::isfinite((*v)->get_double())) {
    seconds = (*v)->get_double();
  } else {
    return JoseErrc::malformed;
  }
  return std::optional<double>(seconds);
}

// RFC 7515 4.1.9: media types compare case-insensitively, "application/" may be omitted.
std::string normalize_typ(std::string_view typ) {
  std::string out;
  for (const char c : typ) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  if (out.starts_with("application/")) out.erase(0, 12);
  return out;
}

result<void> check_audience(const object& claims, const std::string& client_id) {
  auto aud = claim(claims, "aud", ClaimRule::required);
  if (!aud) return aud.error();
  std::size_t audiences = 1;
  if ((*aud)->is_string()) {
    if ((*aud)->get_string() != client_id) return JoseErrc::wrong_audience;
  } else if ((*aud)->is_array()) {
    bool found = false;
    for (const auto& a : (*aud)->get_array()) {
      if (!a.is_string()) return JoseErrc::malformed;
      found = found || a.get_string() == client_id;
    }
    if (!found) return JoseErrc::wrong_audience;
    audiences = (*aud)->get_array().size();
  } else {
    return JoseErrc::malformed;
  }
  // OIDC Core 3.1.3.7 items 4-5: with several audiences the token must say it was issued to us.
  const value* azp = claims.if_contains("azp");
  if (!azp && audiences > 1) return JoseErrc::wrong_azp;
  if (azp && (!azp->is_string() || azp->get_string() != client_id)) return JoseErrc::wrong_azp;
  return {};
}

result<void> check_times(const object& claims, const JwtCheck& check) {
  const double now = Seconds(check.now.time_since_epoch()).count();
  const double skew = Seconds(check.max_skew).count();
  auto exp = numeric_date(claims, "exp", check.exp);
  if (!exp) return exp.error();
  if (*exp && !(now - skew < **exp)) return JoseErrc::expired;
  auto nbf = numeric_date(claims, "nbf", ClaimRule::optional);
  if (!nbf) return nbf.error();
  if (*nbf && **nbf > now + skew) return JoseErrc::not_yet_valid;
  auto iat = numeric_date(claims, "iat", check.iat);
  if (!iat) return iat.error();
  if (*iat && **iat > now + skew) return JoseErrc::issued_in_future;
  return {};
}

result<void> check_claims(const Jws& jws, const JwtCheck& check) {
  const object& claims = jws.payload;
  if (check.typ && (jws.typ || check.typ_required) &&
      (!jws.typ || normalize_typ(*jws.typ) != normalize_typ(*check.typ)))
    return JoseErrc::wrong_type;
  auto iss = claim(claims, "iss", ClaimRule::required);
  if (!iss) return iss.error();
  if (!(*iss)->is_string() || (*iss)->get_string() != check.issuer) return JoseErrc::wrong_issuer;
  if (auto aud = check_audience(claims, check.audience); !aud) return aud;
  if (auto times = check_times(claims, check); !times) return times;
  auto nonce = claim(claims, "nonce", check.nonce, JoseErrc::nonce_mismatch);
  if (!nonce) return nonce.error();
  if (check.expected_nonce) {
    if (!*nonce || !(*nonce)->is_string() ||
        !crypto::constant_time_equal((*nonce)->get_string(), *check.expected_nonce))
      return JoseErrc::nonce_mismatch;
  }
  auto sub = claim(claims, "sub", check.sub);
  if (!sub) return sub.error();
  if (*sub && (!(*sub)->is_string() || (*sub)->get_string().empty()))
    return JoseErrc::missing_claim;
  return {};
}

}  // namespace

result<object> validate_jwt(const Jws& jws, const Jwks& jwks, const JwtCheck& check) {
  auto key = jwks.select(jws.kid, jws.alg);
  if (!key) return key.error();
  // Claims are only looked at once the signature proves who wrote them.
  auto verified = verify(jws, **key);
  ERR_clear_error();  // failed verifications leave entries on this thread's OpenSSL error queue
  if (!verified) return verified.error();
  if (auto claims = check_claims(jws, check); !claims) return claims.error();
  return jws.payload;
}

result<object> validate_jwt(std::string_view token, const Jwks& jwks, const JwtCheck& check) {
  auto jws = parse_jws(token);
  if (!jws) return jws.error();
  return validate_jwt(*jws, jwks, check);
}

std::string token_hash(JwsAlg alg, std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (EVP_Q_digest(nullptr, token_hash_digest_name(alg), nullptr, token.data(), token.size(),
                   digest, &len) != 1)
    throw std::runtime_error("token hash: digest failed");
  return crypto::base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), len / 2));
}

result<object> validate_id_token(std::string_view token, const Jwks& jwks,
                                 const IdTokenCheck& check) {
  JwtCheck jwt;
  jwt.issuer = check.issuer;
  jwt.audience = check.client_id;
  jwt.now = check.now;
  jwt.max_skew = check.max_skew;
  jwt.exp = ClaimRule::required;
  jwt.iat = ClaimRule::required;
  jwt.sub = ClaimRule::required;
  jwt.nonce = ClaimRule::optional;
  jwt.expected_nonce = check.nonce;
  auto jws = parse_jws(token);
  if (!jws) return jws.error();
  auto claims = validate_jwt(*jws, jwks, jwt);
  if (!claims || !check.access_token) return claims;
  if (const value* at_hash = claims->if_contains("at_hash")) {
    if (!at_hash->is_string()) return JoseErrc::malformed;
    if (!crypto::constant_time_equal(at_hash->get_string(),
                                     token_hash(jws->alg, *check.access_token)))
      return JoseErrc::at_hash_mismatch;
  }
  return claims;
}

}  // namespace gatehouse::jose
