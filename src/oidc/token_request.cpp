#include "oidc/token_request.hpp"

#include <utility>

#include "jose/jwt.hpp"
#include "oidc/form_post.hpp"

namespace gatehouse::oidc {

boost::asio::awaitable<Outcome<Tokens>> request_tokens(std::shared_ptr<OidcClient::State> s,
                                                       Params params, GrantRules rules) {
  const auto [metadata, jwks] = s->snapshot();
  if (!metadata || !jwks) {
    const Failure failure{OidcErrc::not_ready,
                          std::string(rules.grant) + " before the provider was loaded"};
    co_return logged(failure);
  }
  const auto& settings = s->settings;
  auto body =
      co_await post_form(s, FormEndpoint::token, metadata->token_endpoint, std::move(params));
  if (!body) co_return logged(body.error());

  const auto now = s->clock();
  const TokenResponseRules response_rules{
      .id_token = rules.id_token,
      .binding = settings.dpop ? TokenBinding::dpop : TokenBinding::bearer};
  auto tokens = parse_token_response(*body, now, response_rules);
  if (!tokens) co_return logged(tokens.error());
  if (tokens->id_token.empty()) co_return std::move(*tokens);

  const jose::IdTokenCheck check{.issuer = metadata->issuer,
                                 .client_id = settings.client_id,
                                 .nonce = rules.nonce,
                                 .now = now,
                                 .max_skew = settings.clock_skew,
                                 .access_token = tokens->access_token};
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
  // OIDC Core 12.2: a refreshed ID token is about the same user, or the session would change hands.
  if (rules.subject) {
    const auto* sub = claims->if_contains("sub");
    if (!sub || !sub->is_string() || sub->get_string() != *rules.subject) {
      const Failure failure{OidcErrc::invalid_id_token,
                            "id token: sub differs from the session's subject"};
      co_return logged(failure);
    }
  }
  tokens->id_token_claims = std::move(*claims);
  co_return std::move(*tokens);
}

}  // namespace gatehouse::oidc
