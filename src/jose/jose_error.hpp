// Typed outcomes of JOSE parsing and JWT validation. Callers compare codes
// (`r.error() == JoseErrc::key_not_found`), never messages.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <type_traits>

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
};

const boost::system::error_category& jose_category() noexcept;

inline boost::system::error_code make_error_code(JoseErrc e) noexcept {
  return {static_cast<int>(e), jose_category()};
}

template <class T>
using result = boost::system::result<T, boost::system::error_code>;

}  // namespace gatehouse::jose

template <>
struct boost::system::is_error_code_enum<gatehouse::jose::JoseErrc> : std::true_type {};
