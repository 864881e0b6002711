// How the client authenticates at the token and revocation endpoints (RFC 6749 2.3.1). Header-only
// so the configuration can name it without linking the OIDC client.
#pragma once

#include <array>
#include <string_view>
#include <utility>

namespace gatehouse::oidc {

enum class TokenAuth { client_secret_basic, client_secret_post };

// The names used in the configuration and in discovery's token_endpoint_auth_methods_supported.
inline constexpr std::array<std::pair<std::string_view, TokenAuth>, 2> kTokenAuthNames{{
    {"client_secret_basic", TokenAuth::client_secret_basic},
    {"client_secret_post", TokenAuth::client_secret_post},
}};

constexpr std::string_view to_string(TokenAuth value) {
  for (const auto& [name, auth] : kTokenAuthNames)
    if (auth == value) return name;
  return "?";
}

}  // namespace gatehouse::oidc
