// OpenID Connect Back-Channel Logout 1.0, section 2.4 and 2.6: the logout token's claims.
// Signature, iss, aud, iat, exp and nonce go through jose::validate_jwt like every JWT we accept;
// this adds what only a logout token has: the events claim, sub and/or sid, and a jti that the
// caller must accept once only (replay_until says how long to remember it).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "oidc/oidc_error.hpp"

namespace gatehouse::oidc {

inline constexpr std::string_view kBackchannelLogoutEvent =
    "http://schemas.openid.net/event/backchannel-logout";

// A logout token is delivered right after the provider's logout: one issued longer ago than this
// (plus the clock skew) is refused even without an exp, which bounds how long jtis are kept.
inline constexpr std::chrono::minutes kLogoutTokenMaxAge{5};

// A jti longer than this is refused; a provider's jti is a UUID-sized random string.
inline constexpr std::size_t kMaxJtiBytes = 256;

struct LogoutTokenCheck {
  std::string issuer;
  std::string client_id;
  std::chrono::system_clock::time_point now;
  std::chrono::seconds max_skew{60};
};

struct LogoutToken {
  std::string issuer;
  std::optional<std::string> subject;     // "sub"
  std::optional<std::string> session_id;  // "sid"
  std::string jti;
  // Until then the token could still be accepted, so its jti must be remembered until then.
  std::chrono::system_clock::time_point replay_until;
};

// Verifies the signature with the JWKS key chosen by kid and alg (RS256, PS256, ES256; never
// none or HS*), then every claim rule. Failures are invalid_logout_token with the reason in the
// detail; a token naming a kid the JWKS lacks fails with detail "unknown signing key" (the caller
// may refetch the JWKS once and try again).
Outcome<LogoutToken> validate_logout_token(const jose::Jws& jws, const jose::Jwks& jwks,
                                           const LogoutTokenCheck& check);

}  // namespace gatehouse::oidc
