// RFC 6749 4.4: the gateway's own access token, for API routes that call upstreams as the gateway
// rather than as the user.
#include <utility>

#include "oidc/token_request.hpp"

namespace gatehouse::oidc {

boost::asio::awaitable<Outcome<Tokens>> OidcClient::client_credentials(
    std::vector<std::string> scopes, std::optional<std::string> resource) {
  auto s = state_;
  std::string scope;
  for (const auto& name : scopes) {
    if (!scope.empty()) scope.push_back(' ');
    scope += name;
  }
  Params params{{"grant_type", "client_credentials"}};
  if (!scope.empty()) params.emplace_back("scope", scope);
  if (resource) params.emplace_back("resource", *resource);  // RFC 8707 2
  // Named, not a temporary in the co_await: g++ 12 destroys such temporaries twice.
  GrantRules rules{.grant = "client credentials", .id_token = IdTokenRule::ignored};
  auto tokens = co_await request_tokens(s, std::move(params), std::move(rules));
  // RFC 6749 4.4.3: a refresh token SHOULD NOT be issued; the grant is repeated instead.
  if (tokens) tokens->refresh_token.reset();
  co_return tokens;
}

}  // namespace gatehouse::oidc
