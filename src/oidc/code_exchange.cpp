// The authorization code grant's second half: redeem the code at the token endpoint; the ID token
// is required and must carry the login's nonce.
#include <utility>

#include "oidc/token_request.hpp"

namespace gatehouse::oidc {

boost::asio::awaitable<Outcome<Tokens>> OidcClient::exchange_code(std::string code,
                                                                  std::string code_verifier,
                                                                  std::string expected_nonce) {
  auto s = state_;  // the coroutine keeps the state alive even if the client goes away
  const auto& settings = s->settings;
  Params params{{"grant_type", "authorization_code"},
                {"code", code},
                {"redirect_uri", settings.redirect_uri},
                {"code_verifier", code_verifier}};
  // Named, not a temporary in the co_await: g++ 12 destroys such temporaries twice.
  GrantRules rules{.grant = "token exchange",
                   .id_token = IdTokenRule::required,
                   .nonce = std::move(expected_nonce)};
  co_return co_await request_tokens(s, std::move(params), std::move(rules));
}

}  // namespace gatehouse::oidc
