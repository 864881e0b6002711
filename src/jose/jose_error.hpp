// Typed outcomes of JOSE parsing and JWT validation. Callers compare codes
// (`r.error() == JoseErrc::key_not_found`), never messages.
#pragma once

#include <gatehouse/error_enum.hpp>

namespace gatehouse::jose {

enum class JoseErrc {
  malformed = 1,     // not a compact JWS / JWKS: parts, base64url, JSON, claim types
  too_large,         // over a size, count or nesting bound
  unsupported_alg,   // an algorithm we do not accept (HS*, unknown)
  alg_none,          // "alg":"none": an unsigned token
  unsupported_crit,  // a "crit" header: extensions we do not implement must not be ignored
  key_not_found,     // no key with this kid (the caller may refetch the JWKS once)
  key_alg_mismatch,  // a key exists but its type or own "alg" does not fit the token's alg
  bad_signature,
  expired,
  not_yet_valid,     // nbf in the future
  issued_in_future,  // iat in the future
  wrong_issuer,
  wrong_audience,
  wrong_azp,       // several audiences without azp, or azp not our client
  wrong_type,      // typ header differs from the expected one
  nonce_mismatch,  // expected nonce missing/different, or present where it is forbidden
  missing_claim,
  at_hash_mismatch,  // at_hash present but not the access token's hash (OIDC Core 3.1.3.6)
};
using gatehouse::make_error_code;

template <class T>
using result = boost::system::result<T, boost::system::error_code>;

}  // namespace gatehouse::jose

template <>
struct gatehouse::ErrorEnum<gatehouse::jose::JoseErrc> {
  using E = jose::JoseErrc;
  static constexpr const char* name = "gatehouse.jose";
  static constexpr const char* unknown = "unknown JOSE error";
  static constexpr ErrorMessage<E> messages[] = {
      {E::malformed, "malformed JOSE object"},
      {E::too_large, "JOSE object exceeds a size limit"},
      {E::unsupported_alg, "unsupported signature algorithm"},
      {E::alg_none, "unsigned token (alg none)"},
      {E::unsupported_crit, "unsupported critical header"},
      {E::key_not_found, "no matching key in the JWKS"},
      {E::key_alg_mismatch, "key does not fit the token's algorithm"},
      {E::bad_signature, "signature verification failed"},
      {E::expired, "token expired"},
      {E::not_yet_valid, "token not yet valid"},
      {E::issued_in_future, "token issued in the future"},
      {E::wrong_issuer, "wrong issuer"},
      {E::wrong_audience, "wrong audience"},
      {E::wrong_azp, "wrong or missing authorized party"},
      {E::wrong_type, "wrong token type"},
      {E::nonce_mismatch, "nonce mismatch"},
      {E::missing_claim, "required claim missing"},
      {E::at_hash_mismatch, "at_hash does not match the access token"},
  };
};
