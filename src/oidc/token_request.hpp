// Internal: one token endpoint request for any grant: the POST (form_post), the answer checked by
// the grant's rules, and its ID token (when there is one to check) validated, with one JWKS
// refetch for an unknown kid. Not for use outside src/oidc/.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "oidc/client_state.hpp"
#include "oidc/token_response.hpp"
#include "oidc/url_encoding.hpp"

namespace gatehouse::oidc {

struct GrantRules {
  std::string_view grant;  // for the failure detail: "code exchange", "refresh", ...
  IdTokenRule id_token = IdTokenRule::required;
  std::optional<std::string> nonce;    // the ID token's nonce must equal it (the code grant)
  std::optional<std::string> subject;  // the ID token's sub must equal it (a refresh)
};

// The tokens, with id_token_claims filled when an ID token was validated. Every failure is
// logged (client_state.hpp's logged()).
boost::asio::awaitable<Outcome<Tokens>> request_tokens(std::shared_ptr<OidcClient::State> s,
                                                       Params params, GrantRules rules);

}  // namespace gatehouse::oidc
