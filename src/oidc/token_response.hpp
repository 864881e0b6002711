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
  std::string id_token, access_token, token_type;
  std::optional<std::string> refresh_token;
  std::optional<std::chrono::system_clock::time_point> access_token_expires_at;
  boost::json::object id_token_claims;  // filled once the ID token is validated
  std::optional<std::string> scope;     // granted scopes, when the provider says (RFC 6749 §5.1)
};

// A 200 response: a JSON object with token_type Bearer (any case), non-empty id_token and
// access_token strings, expires_in (when present) a non-negative number, refresh_token and scope
// (when present) strings. Else invalid_token_response. `now` anchors expires_in.
Outcome<Tokens> parse_token_response(std::string_view body,
                                     std::chrono::system_clock::time_point now);

// A non-200 response: token_error_response with "error: error_description" when the body is an
// RFC 6749 §5.2 error object, else token_request_failed naming the status.
Failure token_error(int status, std::string_view body);

// Provider text made safe for a log line: printable ASCII only, at most `max` characters.
std::string loggable(std::string_view text, std::size_t max = 200);

}  // namespace gatehouse::oidc
