#include "proxy/token_manager.hpp"

#include "http/message.hpp"
#include "metrics/metrics.hpp"
#include "oidc/oidc_client.hpp"
#include "tickets/handle.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace gatehouse::proxy {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

// gatehouse_token_refresh_total{result}: refreshed, rejected (the provider refused the refresh
// token: the session ends), provider_error, store_error, session_gone; client_issued and
// client_failed for client-credentials tokens.
void count_refresh(std::string_view result) {
  static auto& family = metrics::default_registry().counter_family(
      "gatehouse_token_refresh_total",
      "Token refreshes and client-credentials requests, by result.", {"result"});
  family.with({result}).inc();
}

// What the ticket holds for a route: its resource's token, or the login's own without one.
struct HeldToken {
  const std::string* access_token = nullptr;
  const std::string* token_type = nullptr;
  std::optional<std::int64_t> expires_at;
};

std::optional<HeldToken> held_token(const tickets::SessionTicket& t,
                                    const std::optional<std::string>& audience) {
  if (!audience) {
    if (t.access_token.empty()) return std::nullopt;
    return HeldToken{&t.access_token, &t.token_type, t.access_token_expires_at};
  }
  const auto* r = t.find_resource(*audience);
  if (!r) return std::nullopt;
  return HeldToken{&r->access_token, &r->token_type, r->access_token_expires_at};
}

std::optional<std::int64_t> unix_seconds(
    const std::optional<std::chrono::system_clock::time_point>& t) {
  if (!t) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

CredentialOutcome failed(int status, std::string detail, bool ended = false) {
  return {std::nullopt, status, std::move(detail), ended};
}

CredentialOutcome session_over() {
  return failed(401, "the session has ended; sign in again", true);
}

CredentialOutcome provider_down() {
  return failed(503, "the identity provider is not available; try again shortly");
}

CredentialOutcome store_down() {
  return failed(503, "session store unavailable, try again shortly");
}

std::string client_key(const CallSite& call) {
  auto scopes = call.route->config.scopes;
  std::sort(scopes.begin(), scopes.end());
  std::string key;
  for (const auto& s : scopes) key += s + " ";
  return key + "|" + call.route->config.audience.value_or("");
}

}  // namespace

TokenManager::TokenManager(std::shared_ptr<oidc::OidcClient> oidc,
                           std::shared_ptr<tickets::TicketStore> tickets,
                           std::shared_ptr<tickets::LeaseStore> leases, TokenManagerOptions options,
                           Clock clock)
    : oidc_(std::move(oidc)),
      tickets_(std::move(tickets)),
      leases_(std::move(leases)),
      options_(options),
      clock_(clock ? std::move(clock) : system_clock()) {}

bool TokenManager::fresh(const std::optional<std::int64_t>& expires_at) const {
  if (!expires_at) return true;  // the provider did not say: use it until an API refuses it
  const auto expires = Timestamp(std::chrono::seconds(*expires_at));
  return expires - clock_() > options_.refresh_margin;
}

void TokenManager::remember_nonce(const std::string& origin, std::string nonce) {
  if (!oidc::valid_dpop_nonce(nonce)) return;
  std::lock_guard lock(mutex_);
  nonces_[origin] = std::move(nonce);
}

std::optional<std::string> TokenManager::nonce_for(const std::string& origin) {
  std::lock_guard lock(mutex_);
  auto it = nonces_.find(origin);
  if (it == nonces_.end()) return std::nullopt;
  return it->second;
}

std::string TokenManager::dpop_proof(const CallSite& call, const std::string& access_token) {
  const auto nonce = nonce_for(call.route->upstream.origin);
  std::optional<std::string_view> nonce_view;
  if (nonce) nonce_view = *nonce;
  const auto proofs = oidc_->dpop();
  if (!proofs) throw std::logic_error("TokenManager::dpop_proof without [oidc] dpop");
  return proofs->proof(call.method, call.url, access_token, nonce_view);
}

void TokenManager::publish(events::EventKind kind, const tickets::ActiveSession& session,
                           const CallSite& call, std::optional<events::EndReason> reason) const {
  const auto& events = options_.events;
  if (!events || events->empty()) return;
  auto event = events->make(kind, call.origin);
  event.subject = session.session.subject_id;
  event.sid = session.session.session_id;
  event.session_id = tickets::public_session_id(session.key);
  event.reason = reason;
  if (reason) event.actor = events::Actor::provider;
  events->publish(event);
}

CredentialOutcome TokenManager::credential(const std::string& token, const std::string& type,
                                           const CallSite& call) {
  if (!http::iequals(type, "DPoP")) return {UpstreamCredential{"Bearer " + token, std::nullopt}};
  if (!oidc_->dpop()) {
    spdlog::error("proxy: a DPoP-bound token but no DPoP key ([oidc] dpop is off)");
    return failed(503, "the gateway cannot use this token");
  }
  return {UpstreamCredential{"DPoP " + token, dpop_proof(call, token)}};
}

boost::asio::awaitable<CredentialOutcome> TokenManager::user_credential(
    tickets::ActiveSession& session, const CallSite& call) {
  const auto& audience = call.route->config.audience;
  if (auto held = held_token(session.ticket(), audience); held && fresh(held->expires_at))
    co_return credential(*held->access_token, *held->token_type, call);
  co_return co_await refresh(session, call);
}

boost::asio::awaitable<CredentialOutcome> TokenManager::refresh(tickets::ActiveSession& session,
                                                                const CallSite& call) {
  const auto& audience = call.route->config.audience;
  if (!session.ticket().refresh_token) {
    // Nothing to refresh with (no offline_access): use the token while it lasts.
    auto held = held_token(session.ticket(), audience);
    if (held &&
        (!held->expires_at || Timestamp(std::chrono::seconds(*held->expires_at)) > clock_()))
      co_return credential(*held->access_token, *held->token_type, call);
    co_return failed(401,
                     "the access token has expired and there is no refresh token; sign in again");
  }
  const auto give_up = std::chrono::steady_clock::now() + options_.wait_for_refresh;
  for (;;) {
    auto lease = co_await leases_->try_acquire(session.key, options_.lease_ttl);
    if (!lease) co_return store_down();
    if (*lease) {
      auto outcome = co_await refresh_holding(**lease, session, call);
      co_await leases_->release(**lease);
      co_return outcome;
    }
    // Another request (on this instance or another) is refreshing: wait for what it stores.
    if (std::chrono::steady_clock::now() > give_up) {
      spdlog::warn("proxy: a token refresh by another request did not finish in {} ms",
                   options_.wait_for_refresh.count());
      co_return failed(503, "the token refresh is taking too long; try again shortly");
    }
    co_await pause(options_.poll);
    auto again = co_await tickets_->load_key(session.key);
    if (!again) co_return store_down();
    if (!*again) co_return session_over();
    if ((*again)->session.version == session.session.version) continue;
    session = std::move(**again);
    if (auto held = held_token(session.ticket(), audience); held && fresh(held->expires_at))
      co_return credential(*held->access_token, *held->token_type, call);
  }
}

boost::asio::awaitable<CredentialOutcome> TokenManager::refresh_holding(
    tickets::Lease& lease, tickets::ActiveSession& session, const CallSite& call) {
  const auto& audience = call.route->config.audience;
  // Another holder may have refreshed between our read and our lease.
  auto current = co_await tickets_->load_key(session.key);
  if (!current) co_return store_down();
  if (!*current) co_return session_over();
  session = std::move(**current);
  if (auto held = held_token(session.ticket(), audience); held && fresh(held->expires_at))
    co_return credential(*held->access_token, *held->token_type, call);
  if (!session.ticket().refresh_token) co_return session_over();

  // The lease outlives a slow provider: renewed every third of its time until the call ends.
  auto keep_lease = [this, &lease]() -> boost::asio::awaitable<void> {
    for (;;) {
      co_await pause(options_.lease_ttl / 3);
      auto renewed = co_await leases_->renew(lease, options_.lease_ttl);
      if (renewed && !*renewed)
        spdlog::warn("proxy: lost a refresh lease while the provider was answering");
    }
  };
  auto redeem =
      oidc_->refresh_tokens(*session.ticket().refresh_token, audience, session.session.subject_id);
  auto renewing = keep_lease();
  auto answered = co_await (std::move(redeem) || std::move(renewing));
  auto& refreshed = std::get<0>(answered);
  if (!refreshed) {
    if (refreshed.error().code == oidc::OidcErrc::grant_rejected) {
      spdlog::info("session ended (refresh_failed): the provider refused its refresh token: {}",
                   refreshed.error().detail);
      count_refresh("rejected");
      auto removed = co_await tickets_->remove(session.key);
      if (removed)
        publish(events::EventKind::session_ended, session, call, events::EndReason::refresh_failed);
      co_return session_over();
    }
    spdlog::warn("proxy: token refresh failed: {}", refreshed.error().detail);
    count_refresh("provider_error");
    co_return provider_down();
  }

  const auto& tokens = *refreshed;
  const auto expires_at = unix_seconds(tokens.access_token_expires_at);
  const std::string type = tokens.token_type.empty() ? "Bearer" : tokens.token_type;
  auto stored = co_await tickets_->update_ticket(
      session.key, [&tokens, &audience, &expires_at, &type](tickets::SessionTicket& t) {
        if (tokens.refresh_token) t.refresh_token = tokens.refresh_token;
        if (!audience) {
          t.access_token = tokens.access_token;
          t.token_type = type;
          t.access_token_expires_at = expires_at;
          if (!tokens.id_token.empty()) t.id_token = tokens.id_token;
          if (!tokens.id_token_claims.empty()) t.claims = tokens.id_token_claims;
          return;
        }
        auto& slot = t.resource_slot(*audience);
        slot.access_token = tokens.access_token;
        slot.token_type = type;
        slot.access_token_expires_at = expires_at;
      });
  if (!stored) {
    // The provider may have rotated the refresh token: the session cannot refresh again.
    spdlog::error(
        "proxy: refreshed tokens could not be stored ({}); the session may have to sign in again",
        stored.error().message());
    count_refresh("store_error");
    co_return store_down();
  }
  if (!*stored) {
    count_refresh("session_gone");
    co_return session_over();  // revoked while the provider answered
  }
  count_refresh("refreshed");
  session = std::move(**stored);
  publish(events::EventKind::session_refreshed, session, call);
  const auto held = held_token(session.ticket(), audience);
  co_return credential(*held->access_token, *held->token_type, call);
}

boost::asio::awaitable<CredentialOutcome> TokenManager::client_credential(const CallSite& call) {
  const auto key = client_key(call);
  const auto give_up = std::chrono::steady_clock::now() + options_.wait_for_refresh;
  for (;;) {
    // A DPoP-bound token is bound to the key it was fetched with: after a key ring reload brought
    // a new DPoP key, fetch a new one rather than send proofs the API must refuse.
    const auto proofs = oidc_->dpop();
    const std::string signing_key = proofs ? proofs->thumbprint() : std::string();
    std::optional<ClientToken> cached;
    {
      std::lock_guard lock(mutex_);
      auto& slot = client_tokens_[key];
      if (slot.token &&
          (!http::iequals(slot.token->token_type, "DPoP") || slot.token->bound_to == signing_key) &&
          (!slot.token->expires || *slot.token->expires - clock_() > options_.refresh_margin))
        cached = slot.token;
      else if (!slot.fetching) {
        slot.fetching = true;
        break;
      }
    }
    // Outside the lock: a DPoP proof takes it again (the API's nonce).
    if (cached) co_return credential(cached->access_token, cached->token_type, call);
    if (std::chrono::steady_clock::now() > give_up) co_return provider_down();
    co_await pause(options_.poll);
  }
  // Clears the flag however this fetch ends (cancellation included), or waiters spin until
  // they give up.
  struct Fetching {
    TokenManager& self;
    const std::string& key;
    ~Fetching() {
      std::lock_guard lock(self.mutex_);
      self.client_tokens_[key].fetching = false;
    }
  } fetching{*this, key};
  const auto proofs = oidc_->dpop();
  std::string bound_to = proofs ? proofs->thumbprint() : std::string();
  auto got =
      co_await oidc_->client_credentials(call.route->config.scopes, call.route->config.audience);
  if (!got) {
    spdlog::warn("proxy api[{}]: client-credentials token request failed: {}", call.route->index,
                 got.error().detail);
    count_refresh("client_failed");
    co_return provider_down();
  }
  count_refresh("client_issued");
  ClientToken token{got->access_token, got->token_type.empty() ? "Bearer" : got->token_type,
                    std::nullopt, std::move(bound_to)};
  if (got->access_token_expires_at)
    token.expires =
        std::chrono::time_point_cast<std::chrono::milliseconds>(*got->access_token_expires_at);
  {
    std::lock_guard lock(mutex_);
    client_tokens_[key].token = token;
  }
  co_return credential(token.access_token, token.token_type, call);
}

}  // namespace gatehouse::proxy
