// The management endpoints of the BFF: login, the OIDC callback, the user endpoint, logout and
// its callback, and health. Everything else (the SPA's static files) is not answered here.
#pragma once

#include "bff/cookies.hpp"
#include "bff/token_revoker.hpp"
#include "crypto/key_ring.hpp"
#include "events/session_events.hpp"
#include "http/message.hpp"
#include "oidc/oidc_client.hpp"
#include "tickets/replay_cache.hpp"
#include "tickets/ticket_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>

namespace gatehouse::bff {

class PendingLogouts;

struct EndpointOptions {
  std::string base_path = "/bff";
  std::string public_origin;  // e.g. "https://app.example.com"
  CookiePolicy cookies;
  // Back-channel logout: without a replay cache every logout token is refused (fail closed).
  std::shared_ptr<tickets::ReplayCache> logout_replay_cache;
  bool backchannel_all_user_sessions = false;
  // Revokes the refresh tokens of sessions that end; none: they are left to expire.
  std::shared_ptr<TokenRevoker> revoker;
  std::chrono::milliseconds revocation_wait{1000};  // how long a response waits for revocation
  // Back-channel logouts the store could not take, applied once it is back; none: only the
  // provider's retries apply them.
  std::shared_ptr<PendingLogouts> pending_logouts;
  // Session lifecycle events (audit, metrics); never null in the gateway, may be in tests.
  std::shared_ptr<const events::SessionEvents> events;
  // `[session] max_per_user`: a login ends the subject's least recently used sessions beyond
  // it (tickets/session_limit.hpp); 0: no limit.
  std::size_t max_per_user = 0;
};

class BffEndpoints {
 public:
  BffEndpoints(EndpointOptions options, std::shared_ptr<tickets::TicketStore> ticket_store,
               std::shared_ptr<oidc::OidcClient> oidc, std::shared_ptr<const crypto::KeyRing> keys,
               Clock clock = system_clock());

  // The response for a gatehouse endpoint, or nullopt when the path is not one of them.
  boost::asio::awaitable<std::optional<http::Response>> handle(http::Request& request);

 private:
  boost::asio::awaitable<http::Response> login(http::Request& request);
  boost::asio::awaitable<http::Response> callback(http::Request& request);
  boost::asio::awaitable<http::Response> user(http::Request& request);
  boost::asio::awaitable<http::Response> logout(http::Request& request);
  http::Response logout_callback(http::Request& request);
  // OIDC Back-Channel Logout 1.0: POST /backchannel with a logout token from the provider.
  boost::asio::awaitable<http::Response> backchannel(http::Request& request);
  boost::asio::awaitable<void> revoke(std::vector<std::string> refresh_tokens);
  // The user's own sessions: GET /sessions, DELETE /sessions/{id}, DELETE /sessions?others=true.
  boost::asio::awaitable<http::Response> sessions(http::Request& request);
  // After a login: ends the subject's least recently used sessions beyond max_per_user, keeping
  // `new_key` unless that many later logins raced it (tickets/session_limit.hpp).
  boost::asio::awaitable<void> enforce_session_limit(const http::Request& request,
                                                     const std::string& subject,
                                                     const std::string& new_key);
  boost::asio::awaitable<http::Response> ready();

  std::string flow_cookie_name(std::string_view kind, std::string_view state) const;
  std::int64_t now_seconds() const;

  EndpointOptions options_;
  std::shared_ptr<tickets::TicketStore> tickets_;
  std::shared_ptr<oidc::OidcClient> oidc_;
  std::shared_ptr<const crypto::KeyRing> keys_;
  Clock clock_;
};

}  // namespace gatehouse::bff
