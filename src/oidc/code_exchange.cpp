// The authorization code grant's second half: redeem the code at the token endpoint, check the
// token response, validate the ID token (one JWKS refetch for an unknown kid).
#include <utility>

#include "jose/jwt.hpp"
#include "oidc/client_state.hpp"
#include "oidc/form_post.hpp"

namespace gatehouse::oidc {

boost::asio::awaitable<Outcome<Tokens>> OidcClient::exchange_code(std::string code,
                                                                  std::string code_verifier,
                                                                  std::string expected_nonce) {
  auto s = state_;
  const auto [metadata, jwks] = s->snapshot();
  if (!metadata || !jwks) {
    const Failure failure{OidcErrc::not_ready, "token exchange before the provider was loaded"};
    co_return logged(failure);
  }
  const auto& settings = s->settings;

  Params params{{"grant_type", "authorization_code"},
                {"code", code},
                {"redirect_uri", settings.redirect_uri},
                {"code_verifier", code_verifier}};
  auto body =
      co_await post_form(s, FormEndpoint::token, metadata->token_endpoint, std::move(params));
  if (!body) co_return logged(body.error());

  const auto now = s->clock();
  auto tokens = parse_token_response(*body, now);
  if (!tokens) co_return logged(tokens.error());

  const jose::IdTokenCheck check{.issuer = metadata->issuer,
                                 .client_id = settings.client_id,
                                 .nonce = expected_nonce,
                                 .now = now,
                                 .max_skew = settings.clock_skew};
  auto claims = jose::validate_id_token(tokens->id_token, *jwks, check);
  if (!claims && claims.error() == jose::JoseErrc::key_not_found) {
    // The provider may have rotated its keys since we loaded them.
    const auto fresh = co_await jwks_for_unknown_kid(s, jwks);
    if (fresh) claims = jose::validate_id_token(tokens->id_token, *fresh, check);
  }
  if (!claims) {
    const Failure failure{OidcErrc::invalid_id_token, "id token: " + claims.error().message()};
    co_return logged(failure);
  }
  tokens->id_token_claims = std::move(*claims);
  co_return std::move(*tokens);
}

}  // namespace gatehouse::oidc
