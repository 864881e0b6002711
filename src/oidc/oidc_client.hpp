// The OpenID Connect relying party used by the BFF: discovery and JWKS, the authorization request
// (code + PKCE S256 + state + nonce), the code exchange with ID token validation, and the
// RP-initiated logout URL. A confidential client: it authenticates at the token endpoint.
// Every operation that can fail returns Outcome<T>: the code to compare and this call's detail to
// log (the client also logs it at warn).
//
// Threads: one io_context, possibly run by several threads. Every member may be called
// concurrently; the metadata is written once and the JWKS is swapped as a whole under a mutex.
// Coroutines complete on the awaiting coroutine's executor and keep the client's state alive, so
// destroying the OidcClient while an exchange is in flight is safe.
#pragma once

#include <gatehouse/session/clock.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oidc/logout_token.hpp"
#include "oidc/oidc_error.hpp"
#include "oidc/provider_metadata.hpp"
#include "oidc/token_auth.hpp"
#include "oidc/token_response.hpp"

namespace gatehouse::oidc {

struct ClientSettings {
  std::string authority;  // issuer; discovery at authority + "/.well-known/openid-configuration"
  std::string client_id, client_secret;
  std::vector<std::string> scopes;  // must include openid
  TokenAuth token_auth = TokenAuth::client_secret_basic;
  std::string redirect_uri;  // public_origin + "/signin-oidc"
  std::chrono::seconds clock_skew{60};
  std::chrono::milliseconds http_timeout{10000};
  std::optional<std::string> ca_file;  // extra CA for https providers (tests)
};

struct LoginRequest {
  std::string url;
  std::string state;
  std::string nonce;
  std::string code_verifier;
};

// At most one JWKS refetch for an unknown kid per this interval: a token naming a kid the
// provider never had must not turn every exchange into a JWKS download.
inline constexpr std::chrono::seconds kJwksRefetchInterval{10};

class OidcClient {
 public:
  // Throws std::invalid_argument naming the setting when the settings are unusable: authority not
  // an http(s) URL (plain http only on loopback), empty client_id or redirect_uri, no "openid"
  // scope. An empty clock means the system clock.
  OidcClient(boost::asio::any_io_executor executor, ClientSettings settings, Clock clock = {});

  // Discovery, then the JWKS. Safe to call again and concurrently: the metadata is kept from the
  // first success (a restart picks up changed endpoints), every call after that refreshes the
  // JWKS. Errors: discovery_failed, issuer_mismatch, jwks_failed.
  boost::asio::awaitable<Outcome<void>> load_metadata();
  bool ready() const;                        // metadata and JWKS loaded
  const ProviderMetadata& metadata() const;  // only when ready(); stable once loaded

  // A fresh state and nonce (256 bits each), a PKCE verifier (43 chars) and the authorization
  // URL carrying them (challenge S256), plus `prompt` when given. Throws std::logic_error before
  // the metadata is loaded: check ready() first.
  LoginRequest begin_login(std::optional<std::string_view> prompt = std::nullopt) const;

  // Redeems the code (client_secret_basic or client_secret_post), checks the token response and
  // validates the ID token (iss, aud/azp, nonce, exp/iat with clock_skew, signature). An unknown
  // kid triggers one JWKS refetch (at most every kJwksRefetchInterval) and a retry. Errors:
  // not_ready, token_request_failed (transport, timeout, non-OAuth status), token_error_response,
  // invalid_token_response, invalid_id_token.
  boost::asio::awaitable<Outcome<Tokens>> exchange_code(std::string code, std::string code_verifier,
                                                        std::string expected_nonce);

  // OIDC Back-Channel Logout 1.0 2.6: validates a logout token (see logout_token.hpp) against
  // the provider's keys; an unknown kid triggers one JWKS refetch (rate-limited as for ID
  // tokens). Errors: not_ready, invalid_logout_token (the detail says why).
  // The caller still has to accept the jti once only.
  boost::asio::awaitable<Outcome<LogoutToken>> validate_logout_token(std::string token);

  // True when the provider publishes a revocation endpoint (RFC 7009).
  bool can_revoke() const;

  // RFC 7009: revokes a refresh token at the revocation endpoint, authenticating like the token
  // request. Errors: not_ready, revocation_failed (no endpoint, transport, non-200 answer).
  boost::asio::awaitable<Outcome<void>> revoke_refresh_token(std::string token);

  // end_session_endpoint with id_token_hint, post_logout_redirect_uri, state (each omitted when
  // empty) and client_id; nullopt when not ready or the provider has no end_session_endpoint.
  std::optional<std::string> end_session_url(std::string_view id_token_hint,
                                             std::string_view post_logout_redirect_uri,
                                             std::string_view state) const;

  const ClientSettings& settings() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace gatehouse::oidc
