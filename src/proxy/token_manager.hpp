// The credentials the proxy attaches: a user's access token, refreshed once across every
// instance when it is about to expire, or the gateway's client-credentials token.
//
// Refresh is single flight per session across instances: the refresher holds the session's
// lease (tickets::LeaseStore, renewed while the provider call is in flight) and stores the new
// tokens with a compare-and-set (TicketStore::update_ticket), so a rotated refresh token is
// never redeemed twice and no concurrent write (a sliding renewal anywhere) puts old tokens
// back. Waiters poll the session until its version moves (bounded) and use what was stored.
// Leases are per session, not per resource: every refresh of a session redeems the same
// (rotating) refresh token. Tokens are kept per resource indicator in the ticket.
//
// Client-credentials tokens are cached per (scopes, audience) until shortly before they expire,
// shared by every user, one fetch at a time per key on this instance.
//
// Threads: every member may be called concurrently from any io thread.
#pragma once

#include "proxy/token_source.hpp"
#include "tickets/lease_store.hpp"

#include <gatehouse/session/clock.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace gatehouse::oidc {
class OidcClient;
}

namespace gatehouse::proxy {

struct TokenManagerOptions {
  std::chrono::milliseconds refresh_margin{60'000};    // refresh this long before expiry
  std::chrono::milliseconds lease_ttl{10'000};         // renewed every third of it while held
  std::chrono::milliseconds wait_for_refresh{15'000};  // a waiter gives up (503) after this
  std::chrono::milliseconds poll{50};                  // how often a waiter looks
  // Refreshes (session_refreshed) and sessions the provider ended by refusing their refresh
  // token (session_ended, refresh_failed) are published here; null: not published.
  std::shared_ptr<const events::SessionEvents> events;
};

class TokenManager final : public TokenSource {
 public:
  TokenManager(std::shared_ptr<oidc::OidcClient> oidc,
               std::shared_ptr<tickets::TicketStore> tickets,
               std::shared_ptr<tickets::LeaseStore> leases, TokenManagerOptions options,
               Clock clock = system_clock());

  boost::asio::awaitable<CredentialOutcome> user_credential(tickets::ActiveSession& session,
                                                            const CallSite& call) override;
  boost::asio::awaitable<CredentialOutcome> client_credential(const CallSite& call) override;

  // An API's DPoP-Nonce (RFC 9449 9), used in the next proofs for that origin.
  void remember_nonce(const std::string& origin, std::string nonce) override;
  std::string dpop_proof(const CallSite& call, const std::string& access_token) override;

 private:
  struct ClientToken {
    std::string access_token;
    std::string token_type;
    std::optional<Timestamp> expires;
    std::string bound_to;  // the DPoP key's thumbprint at the fetch ("" without DPoP)
  };
  struct ClientSlot {
    std::optional<ClientToken> token;
    bool fetching = false;
  };

  boost::asio::awaitable<CredentialOutcome> refresh(tickets::ActiveSession& session,
                                                    const CallSite& call);
  boost::asio::awaitable<CredentialOutcome> refresh_holding(tickets::Lease& lease,
                                                            tickets::ActiveSession& session,
                                                            const CallSite& call);
  CredentialOutcome credential(const std::string& token, const std::string& type,
                               const CallSite& call);
  bool fresh(const std::optional<std::int64_t>& expires_at) const;
  void publish(events::EventKind kind, const tickets::ActiveSession& session, const CallSite& call,
               std::optional<events::EndReason> reason = std::nullopt) const;
  std::optional<std::string> nonce_for(const std::string& origin);

  std::shared_ptr<oidc::OidcClient> oidc_;
  std::shared_ptr<tickets::TicketStore> tickets_;
  std::shared_ptr<tickets::LeaseStore> leases_;
  TokenManagerOptions options_;
  Clock clock_;
  std::mutex mutex_;  // guards both maps; never held across a co_await
  std::map<std::string, ClientSlot> client_tokens_;
  std::map<std::string, std::string> nonces_;
};

}  // namespace gatehouse::proxy
