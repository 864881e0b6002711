// RFC 6749 6: a new access token for a signed-in user, from the refresh token (OIDC Core 12).
#include <utility>

#include "oidc/token_request.hpp"

namespace gatehouse::oidc {

boost::asio::awaitable<Outcome<Tokens>> OidcClient::refresh_tokens(
    std::string refresh_token, std::optional<std::string> resource, std::string expected_subject) {
  auto s = state_;
  // No scope: the original grant's scopes (RFC 6749 6), which the provider remembers.
  Params params{{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}};
  if (resource) params.emplace_back("resource", *resource);  // RFC 8707 2
  // Named, not a temporary in the co_await: g++ 12 destroys such temporaries twice.
  GrantRules rules{.grant = "refresh",
                   .id_token = IdTokenRule::optional,
                   .subject = std::move(expected_subject)};
  co_return co_await request_tokens(s, std::move(params), std::move(rules));
}

}  // namespace gatehouse::oidc
