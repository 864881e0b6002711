// Typed outcomes of the OIDC client. Its operations return Outcome<T> (gatehouse/error_enum.hpp):
// callers compare the code (`r.error().code == OidcErrc::not_ready`) and log the detail.
#pragma once

#include <gatehouse/error_enum.hpp>

namespace gatehouse::oidc {

enum class OidcErrc {
  discovery_failed = 1,    // discovery document unreachable, not 200, too large or invalid
  issuer_mismatch,         // its "issuer" is not exactly the configured authority
  jwks_failed,             // JWKS unreachable, not 200, too large or invalid
  token_request_failed,    // token endpoint unreachable, timed out, 5xx/429, or a non-OAuth status
  token_error_response,    // the token endpoint answered with another OAuth error (invalid_client)
  invalid_token_response,  // 200 but not a usable Bearer token response
  invalid_id_token,        // the ID token failed validation (signature, claims, nonce, ...)
  not_ready,               // load_metadata() has not succeeded yet
  invalid_logout_token,    // a back-channel logout token failed validation
  revocation_failed,       // the revocation endpoint is missing, unreachable or refused
  grant_rejected,          // RFC 6749 5.2 invalid_grant: the code or refresh token is dead
};
using gatehouse::make_error_code;

}  // namespace gatehouse::oidc

template <>
struct gatehouse::ErrorEnum<gatehouse::oidc::OidcErrc> {
  using E = oidc::OidcErrc;
  static constexpr const char* name = "gatehouse.oidc";
  static constexpr const char* unknown = "unknown OIDC error";
  static constexpr ErrorMessage<E> messages[] = {
      {E::discovery_failed, "OIDC discovery failed"},
      {E::issuer_mismatch, "discovered issuer differs from the configured authority"},
      {E::jwks_failed, "fetching the provider's JWKS failed"},
      {E::token_request_failed, "token request failed"},
      {E::token_error_response, "token endpoint returned an error"},
      {E::invalid_token_response, "invalid token response"},
      {E::invalid_id_token, "invalid ID token"},
      {E::not_ready, "provider metadata not loaded"},
      {E::invalid_logout_token, "invalid logout token"},
      {E::revocation_failed, "token revocation failed"},
      {E::grant_rejected, "the provider rejected the grant (invalid_grant)"},
  };
};
