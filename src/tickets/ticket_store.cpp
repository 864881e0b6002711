#include "tickets/ticket_store.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace gatehouse::tickets {

TicketStore::TicketStore(std::shared_ptr<UserSessionStore> store,
                         std::shared_ptr<const crypto::KeyRing> keys, TicketStoreOptions options,
                         Clock clock)
    : store_(std::move(store)),
      keys_(std::move(keys)),
      options_(options),
      clock_(clock ? std::move(clock) : system_clock()),
      opened_(options.opened_ticket_cache) {}

void TicketStore::note_failure(const char* operation, boost::system::error_code ec) const {
  if (ec == StoreErrc::not_found || ec == StoreErrc::conflict || ec == StoreErrc::cancelled) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::int64_t last = last_failure_line_ms_.load(std::memory_order_relaxed);
  if (now - last < 1000 ||
      !last_failure_line_ms_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    unreported_failures_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const auto more = unreported_failures_.exchange(0, std::memory_order_relaxed);
  if (more == 0)
    spdlog::warn("session store: {} failed: {}", operation, ec.message());
  else
    spdlog::warn("session store: {} failed: {} (and {} more store failures since the last line)",
                 operation, ec.message(), more);
}

Timestamp TicketStore::absolute_expiry(const UserSession& s) const {
  return s.created + options_.max_lifetime;
}

boost::asio::awaitable<StoreResult<IssuedSession>> TicketStore::create(
    std::string subject, std::optional<std::string> sid, SessionTicket ticket) {
  const auto now = clock_();
  IssuedSession issued;
  issued.handle = new_handle();
  issued.key = *key_for_handle(issued.handle);
  issued.absolute_expires = now + options_.max_lifetime;
  issued.expires = std::min(now + options_.idle_timeout, issued.absolute_expires);

  UserSession session;
  session.key = issued.key;
  session.subject_id = std::move(subject);
  session.session_id = std::move(sid);
  session.created = now;
  session.renewed = now;
  session.expires = issued.expires;
  session.ticket = keys_->seal(serialize_ticket(ticket), issued.key);

  // Logging in again in the same provider session (same sub and sid) replaces the stale
  // gatehouse session. Concurrent logins of one sid (several tabs) race between delete and
  // create; each retry replaces the winner, so the last login wins.
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (session.session_id) {
      UserSessionsFilter stale{.subject_id = session.subject_id, .session_id = session.session_id};
      auto removed = co_await store_->delete_user_sessions(stale);
      if (!noted(removed, "delete (login replacing a stale session)")) co_return removed.error();
    }
    auto created = co_await store_->create_user_session(session);
    if (noted(created, "create")) co_return issued;
    if (created.error() != StoreErrc::conflict || !session.session_id) co_return created.error();
  }
  co_return make_error_code(StoreErrc::conflict);
}

boost::asio::awaitable<std::optional<ActiveSession>> TicketStore::open(std::string key,
                                                                       UserSession s) {
  const auto now = clock_();
  const auto absolute = absolute_expiry(s);
  if ((s.expires && *s.expires <= now) || absolute <= now) {
    // Expired: make it go away now rather than at the next cleanup (best effort).
    opened_.erase(key);
    auto removed = co_await store_->delete_user_session(key);
    if (removed && options_.events && !options_.events->empty()) {
      auto event = options_.events->make(events::EventKind::session_ended);
      event.subject = s.subject_id;
      event.sid = s.session_id;
      event.session_id = public_session_id(key);
      event.reason = events::EndReason::expired;
      event.actor = events::Actor::gateway;
      options_.events->publish(event);
    }
    co_return std::nullopt;
  }
  const auto generation = keys_->generation();
  auto opened = opened_.find(key, s.ticket, generation);
  const bool cached = opened != nullptr;
  if (!opened) {
    auto plaintext = keys_->open(s.ticket, key);
    if (!plaintext) {
      spdlog::warn("session ticket cannot be decrypted with any key; treating as anonymous");
      co_return std::nullopt;
    }
    auto ticket = parse_ticket(*plaintext);
    OPENSSL_cleanse(plaintext->data(), plaintext->size());
    if (!ticket) co_return std::nullopt;
    opened = std::make_shared<const OpenedTicket>(std::move(*ticket));
  }
  const auto expires = s.expires ? std::min(*s.expires, absolute) : absolute;
  if (!cached) opened_.insert(key, s.ticket, generation, opened, expires, now);
  co_return ActiveSession{std::move(key), std::move(s), std::move(opened), expires};
}

boost::asio::awaitable<StoreResult<std::optional<ActiveSession>>> TicketStore::load(
    std::string_view handle, bool slide) {
  using Loaded = std::optional<ActiveSession>;
  auto key = key_for_handle(handle);
  if (!key) co_return Loaded{};
  auto found = co_await store_->get_user_session(*key);
  if (!noted(found, "get")) co_return found.error();
  if (!*found) co_return Loaded{};
  auto active = co_await open(*key, std::move(**found));
  if (!active) co_return Loaded{};
  UserSession& s = active->session;

  const auto now = clock_();
  if (slide && now - s.renewed >= options_.renew_after) {
    const auto absolute = absolute_expiry(s);
    // Over the version read only: a refresh that stored new tokens meanwhile (on any instance)
    // must not be overwritten with the ticket read here.
    UserSessionUpdate update{
        s.subject_id, s.session_id, s.created, now, std::min(now + options_.idle_timeout, absolute),
        s.ticket,     s.version};
    auto renewed = co_await store_->update_user_session(*key, update);
    if (!renewed && renewed.error() == StoreErrc::not_found) co_return Loaded{};  // revoked
    if (renewed) {
      s.renewed = update.renewed;
      s.expires = update.expires;
      ++s.version;
      active->expires = std::min(*update.expires, absolute);
    } else {
      // The read was fine; a failed renewal only means the idle timer was not pushed out.
      noted(renewed, "update (sliding renewal)");
    }
    // conflict: another writer renewed or refreshed it first; its write stands.
  }
  co_return active;
}

boost::asio::awaitable<StoreResult<std::optional<ActiveSession>>> TicketStore::load_key(
    std::string key) {
  using Loaded = std::optional<ActiveSession>;
  auto found = co_await store_->get_user_session(key);
  if (!noted(found, "get")) co_return found.error();
  if (!*found) co_return Loaded{};
  co_return co_await open(std::move(key), std::move(**found));
}

boost::asio::awaitable<StoreResult<std::optional<ActiveSession>>> TicketStore::update_ticket(
    std::string key, std::function<void(SessionTicket&)> change) {
  using Loaded = std::optional<ActiveSession>;
  constexpr int attempts = 8;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto loaded = co_await load_key(key);
    if (!loaded) co_return loaded.error();
    if (!*loaded) co_return Loaded{};
    auto& active = **loaded;
    SessionTicket changed = active.ticket();
    change(changed);
    auto& s = active.session;
    // Read before sealing: a ring reloaded meanwhile (the key gone) must not leave this entry
    // looking current.
    const auto generation = keys_->generation();
    const auto sealed = keys_->seal(serialize_ticket(changed), key);
    UserSessionUpdate update{s.subject_id, s.session_id, s.created, s.renewed,
                             s.expires,    sealed,       s.version};
    auto stored = co_await store_->update_user_session(key, update);
    if (stored) {
      s.ticket = sealed;
      ++s.version;
      active.opened = std::make_shared<const OpenedTicket>(std::move(changed));
      opened_.insert(key, sealed, generation, active.opened, active.expires, clock_());
      co_return loaded;
    }
    if (stored.error() == StoreErrc::not_found) co_return Loaded{};
    if (stored.error() != StoreErrc::conflict) co_return noted(stored, "update").error();
  }
  co_return make_error_code(StoreErrc::conflict);
}

boost::asio::awaitable<StoreResult<void>> TicketStore::remove(std::string key) {
  opened_.erase(key);
  auto removed = co_await store_->delete_user_session(std::move(key));
  noted(removed, "delete");
  co_return removed;
}

std::optional<std::string> TicketStore::refresh_token(const UserSession& session) const {
  auto plaintext = keys_->open(session.ticket, session.key);
  if (!plaintext) return std::nullopt;
  auto ticket = parse_ticket(*plaintext);
  if (!ticket) return std::nullopt;
  return std::move(ticket->refresh_token);
}

boost::asio::awaitable<StoreResult<EndedSessions>> TicketStore::end_sessions(
    UserSessionsFilter filter, bool refresh_tokens, bool describe) {
  EndedSessions ended;
  if (refresh_tokens || describe) {
    auto matching = co_await store_->get_user_sessions(filter);
    if (!noted(matching, "get by filter")) co_return matching.error();
    for (auto& session : *matching) {
      // Ended sessions' opened tickets are useless now: free them rather than wait for eviction.
      opened_.erase(session.key);
      if (refresh_tokens)
        if (auto token = refresh_token(session)) ended.refresh_tokens.push_back(std::move(*token));
      if (describe)
        ended.sessions.push_back(EndedSession{std::move(session.key), std::move(session.subject_id),
                                              std::move(session.session_id)});
    }
  }
  auto removed = co_await store_->delete_user_sessions(std::move(filter));
  if (!noted(removed, "delete by filter")) co_return removed.error();
  ended.count = *removed;
  co_return ended;
}

}  // namespace gatehouse::tickets
