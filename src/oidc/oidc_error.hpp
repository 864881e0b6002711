// Typed outcomes of the OIDC client. Callers compare codes (`r.error() == OidcErrc::not_ready`);
// the human-readable detail of the latest failure is OidcClient::last_error().
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <type_traits>

namespace gatehouse::oidc {

enum class OidcErrc {
  discovery_failed = 1,    // discovery document unreachable, not 200, too large or invalid
  issuer_mismatch,         // its "issuer" is not exactly the configured authority
  jwks_failed,             // JWKS unreachable, not 200, too large or invalid
  token_request_failed,    // token endpoint unreachable, timed out, or a non-OAuth error status
  token_error_response,    // the token endpoint answered with an OAuth error (invalid_grant, ...)
  invalid_token_response,  // 200 but not a usable Bearer token response
  invalid_id_token,        // the ID token failed validation (signature, claims, nonce, ...)
  not_ready,               // load_metadata() has not succeeded yet
  invalid_logout_token,    // a back-channel logout token failed validation
  revocation_failed,       // the revocation endpoint is missing, unreachable or refused
};

const boost::system::error_category& oidc_category() noexcept;

inline boost::system::error_code make_error_code(OidcErrc e) noexcept {
  return {static_cast<int>(e), oidc_category()};
}

// Internal: a failure with the detail that goes to last_error() (never a secret or a token).
struct Failure {
  OidcErrc code;
  std::string detail;
};
// Lets result<T, Failure>::value() throw a boost::system::system_error carrying the code.
[[noreturn]] void throw_exception_from_error(const Failure& failure,
                                             const boost::source_location& location);

template <class T>
using Outcome = boost::system::result<T, Failure>;

}  // namespace gatehouse::oidc

template <>
struct boost::system::is_error_code_enum<gatehouse::oidc::OidcErrc> : std::true_type {};
