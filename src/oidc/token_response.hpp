// The token endpoint's answer (RFC 6749 §5.1 / §5.2, OIDC Core §3.1.3.3), checked before the ID
// token itself is validated.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "oidc/oidc_error.hpp"

namespace gatehouse::oidc {

// Access tokens can be large JWTs; anything beyond this is not a token response we want to hold.
inline constexpr std::size_t kMaxTokenResponseBytes = 256 * 1024;

struct Tokens {
  std::string id_token;  // empty when the grant brought none
  std::string access_token;
  std::string token_type;  // "Bearer" or "DPoP" (RFC 9449 5), whatever case the provider used
  std::optional<std::string> refresh_token;
  std::optional<std::chrono::system_clock::time_point> access_token_expires_at;
  boost::json::object id_token_claims;  // filled once the ID token is validated
  std::optional<std::string> scope;     // granted scopes, when the provider says (RFC 6749 §5.1)
};

// Whether the grant must bring an ID token: the authorization code grant must (OIDC Core
// 3.1.3.3), a refresh may (OIDC Core 12.2), client credentials has no user to speak of.
enum class IdTokenRule {
  required,  // a non-empty string
  optional,  // when present, a non-empty string
  ignored,   // not read; Tokens::id_token stays empty
};

// The token_type the request asks for. A DPoP request answered with Bearer means the provider did
// not bind the token (RFC 9449 5): refused, since oidc.dpop asks for sender-constrained tokens
// and a silent downgrade to bearer tokens would defeat it.
enum class TokenBinding {
  bearer,  // no proof sent: token_type Bearer
  dpop,    // a DPoP proof sent: token_type DPoP
};

struct TokenResponseRules {
  IdTokenRule id_token = IdTokenRule::required;
  TokenBinding binding = TokenBinding::bearer;
};

// A 200 response: a JSON object with the token_type the binding asks for (any case; stored as
// "Bearer" or "DPoP"), a non-empty access_token string, an id_token by the rule, expires_in (when
// present) a non-negative number, refresh_token and scope (when present) strings. Else
// invalid_token_response. `now` anchors expires_in.
Outcome<Tokens> parse_token_response(std::string_view body,
                                     std::chrono::system_clock::time_point now,
                                     TokenResponseRules rules = {});

// A non-200 response, by RFC 6749 §5.2 and how the caller must react:
// - 5xx and 429 (with any body): token_request_failed, transient (retry later);
// - error invalid_grant: grant_rejected (the code or refresh token is dead: end the session);
// - another error object: token_error_response with "error: error_description";
// - anything else: token_request_failed naming the status.
Failure token_error(int status, std::string_view body);

// The "error" member of an RFC 6749 §5.2 error body, e.g. "use_dpop_nonce"; nullopt if none.
std::optional<std::string> oauth_error_code(std::string_view body);

// Provider text made safe for a log line: printable ASCII only, at most `max` characters.
std::string loggable(std::string_view text, std::size_t max = 200);

}  // namespace gatehouse::oidc
