// The provider's discovery document (OpenID Connect Discovery 1.0 §3), checked and reduced to what
// the client uses.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oidc/oidc_error.hpp"

namespace gatehouse::oidc {

inline constexpr std::size_t kMaxDiscoveryBytes = 256 * 1024;
inline constexpr std::size_t kMaxEndpointUrlBytes = 2048;

struct ProviderMetadata {
  std::string issuer, authorization_endpoint, token_endpoint, jwks_uri;
  std::optional<std::string> end_session_endpoint, revocation_endpoint, userinfo_endpoint;
  bool iss_parameter_supported = false;  // RFC 9207 authorization_response_iss_parameter_supported
  std::vector<std::string> token_endpoint_auth_methods;  // empty when the provider lists none
  std::vector<std::string> code_challenge_methods;       // empty when the provider lists none
};

// True when the URL's host is loopback (127.0.0.0/8, ::1, localhost): only then may the provider
// use plain http (a dev IdP on the same machine). False for anything unparsable.
bool is_loopback_url(std::string_view url);

// Where the discovery document lives: the authority without one trailing '/', plus
// "/.well-known/openid-configuration".
std::string discovery_url(std::string_view authority);

// Parses and checks the document: a JSON object (bounded size and depth) whose "issuer" equals
// `authority` byte for byte (else issuer_mismatch), with absolute endpoint URLs that are https,
// or http when `allow_http`. Other failures are discovery_failed.
Outcome<ProviderMetadata> parse_discovery(std::string_view json, std::string_view authority,
                                          bool allow_http);

}  // namespace gatehouse::oidc
