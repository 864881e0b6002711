// RFC 7009 refresh token revocation, authenticated like the token request.
#include "oidc/client_state.hpp"
#include "oidc/form_post.hpp"

namespace gatehouse::oidc {

bool OidcClient::can_revoke() const {
  const auto metadata = state_->snapshot().first;
  return metadata && metadata->revocation_endpoint;
}

boost::asio::awaitable<Outcome<void>> OidcClient::revoke_refresh_token(std::string token) {
  auto s = state_;
  const auto metadata = s->snapshot().first;
  if (!metadata) {
    const Failure failure{OidcErrc::not_ready, "revocation before the provider was loaded"};
    co_return logged(failure);
  }
  if (!metadata->revocation_endpoint) {
    const Failure failure{OidcErrc::revocation_failed, "provider has no revocation endpoint"};
    co_return logged(failure);
  }
  Params params{{"token", token}, {"token_type_hint", "refresh_token"}};
  // RFC 7009 2.2: 200 also for a token that was already invalid; anything else is a failure.
  auto answered = co_await post_form(s, FormEndpoint::revocation, *metadata->revocation_endpoint,
                                     std::move(params));
  if (!answered) co_return logged(answered.error());
  co_return Outcome<void>();
}

}  // namespace gatehouse::oidc
