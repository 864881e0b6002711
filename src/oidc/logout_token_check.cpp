// Back-channel logout tokens checked against the provider's current keys (the claim rules are in
// logout_token.cpp), with one JWKS refetch for an unknown kid.
#include "jose/jws.hpp"
#include "oidc/client_state.hpp"
#include "oidc/logout_token.hpp"

namespace gatehouse::oidc {

boost::asio::awaitable<Outcome<LogoutToken>> OidcClient::validate_logout_token(std::string token) {
  auto s = state_;
  const auto [metadata, jwks] = s->snapshot();
  if (!metadata || !jwks) {
    const Failure failure{OidcErrc::not_ready, "logout token before the provider was loaded"};
    co_return logged(failure);
  }
  auto jws = jose::parse_jws(token);
  if (!jws) {
    const Failure failure{OidcErrc::invalid_logout_token, "logout token: " + jws.error().message()};
    co_return logged(failure);
  }
  const LogoutTokenCheck check{.issuer = metadata->issuer,
                               .client_id = s->settings.client_id,
                               .now = s->clock(),
                               .max_skew = s->settings.clock_skew};
  auto validated = oidc::validate_logout_token(*jws, *jwks, check);
  if (!validated && jwks->select(jws->kid, jws->alg).error() == jose::JoseErrc::key_not_found) {
    // The provider may have rotated its keys since we loaded them.
    const auto fresh = co_await jwks_for_unknown_kid(s, jwks);
    if (fresh) validated = oidc::validate_logout_token(*jws, *fresh, check);
  }
  if (!validated) co_return logged(validated.error());
  co_return validated;
}

}  // namespace gatehouse::oidc
