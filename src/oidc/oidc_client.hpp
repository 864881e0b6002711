// The OpenID Connect relying party used by the BFF: discovery and JWKS, the authorization request
// (code + PKCE S256 + state + nonce), the code exchange with ID token validation, refresh and
// client credentials grants for the API proxy (optionally DPoP-bound, RFC 9449), and the
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

#include "oidc/dpop.hpp"
#include "oidc/logout_token.hpp"
#include "oidc/oidc_error.hpp"
#include "oidc/provider_metadata.hpp"
#include "oidc/token_auth.hpp"
#include "oidc/token_response.hpp"

namespace gatehouse::crypto {
class DpopKey;
}

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
  // RFC 9449: every token request carries a DPoP proof and must get a DPoP-bound token back
  // (token_type DPoP); a provider answering Bearer fails the request (see TokenBinding).
  bool dpop = false;
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
  // The same, with the key ring's DPoP key (crypto::KeyRing::dpop_key()) for settings.dpop; it
  // throws std::invalid_argument ("oidc.dpop: ...") when dpop is on and `dpop_key` is null.
  OidcClient(boost::asio::any_io_executor executor, ClientSettings settings, Clock clock,
             std::shared_ptr<const crypto::DpopKey> dpop_key);

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

  // Every token request (these three grants) authenticates the client (client_secret_basic or
  // client_secret_post) and, with settings.dpop, carries a DPoP proof for the token endpoint; a
  // 400 use_dpop_nonce with a DPoP-Nonce header is retried once with that nonce, and the latest
  // nonce the endpoint sent is used for the next request. Errors common to all three: not_ready,
  // token_request_failed (transport, timeout, 5xx/429, non-OAuth status: transient),
  // grant_rejected (invalid_grant), token_error_response (another OAuth error),
  // invalid_token_response, invalid_id_token.

  // Redeems the code, checks the token response and validates the ID token (iss, aud/azp, nonce,
  // exp/iat with clock_skew, signature, at_hash when present). An unknown kid triggers one JWKS
  // refetch (at most every kJwksRefetchInterval) and a retry.
  boost::asio::awaitable<Outcome<Tokens>> exchange_code(std::string code, std::string code_verifier,
                                                        std::string expected_nonce);

  // RFC 6749 6: grant_type=refresh_token, `resource` (RFC 8707) when given, no scope (the
  // original grant's). An ID token in the answer is validated like at login (no nonce required)
  // and must name `expected_subject` as sub (OIDC Core 12.2), else invalid_id_token. The answer's
  // refresh_token is the rotated one, or nullopt when the provider keeps the old one valid.
  // grant_rejected means the refresh token is dead: the caller ends the session.
  boost::asio::awaitable<Outcome<Tokens>> refresh_tokens(std::string refresh_token,
                                                         std::optional<std::string> resource,
                                                         std::string expected_subject);

  // RFC 6749 4.4: grant_type=client_credentials, scope = `scopes` space-joined (omitted when
  // empty), `resource` when given. Any ID token is ignored and any refresh token dropped (4.4.3:
  // none should be issued; the grant is simply repeated).
  boost::asio::awaitable<Outcome<Tokens>> client_credentials(std::vector<std::string> scopes,
                                                             std::optional<std::string> resource);

  // The DPoP proofs the client signs with now, for the proxy's API calls; nullptr unless
  // settings.dpop. Each caller keeps the snapshot it took for the proof it is making.
  std::shared_ptr<const DpopProofs> dpop() const;
  // Signs every later proof (token requests, API calls) with `key`: the key ring's new DPoP key
  // after a live reload. Ignored unless settings.dpop; throws std::invalid_argument when null.
  void use_dpop_key(std::shared_ptr<const crypto::DpopKey> key);

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
