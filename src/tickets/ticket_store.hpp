// The session layer between the cookie and the user session store ("ticket store").
//
// The browser holds a random 256-bit handle (43 base64url characters); the store key is the
// base64url SHA-256 of it, so a database dump yields no usable cookie. The ticket is sealed with
// the key ring, bound to that key, so it cannot be moved to another session either.
//
// Expiry: a session ends `idle_timeout` after its last renewal and never later than
// `max_lifetime` after its creation; the store's `expires` is the earlier of the two, so cleanup
// removes idle and over-age sessions alike. Renewal writes happen at most once per `renew_after`.
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/user_session_store.hpp>

#include "crypto/key_ring.hpp"
#include "events/session_events.hpp"
#include "tickets/handle.hpp"
#include "tickets/opened_tickets.hpp"
#include "tickets/ticket.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::tickets {

struct TicketStoreOptions {
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(30);
  std::chrono::milliseconds max_lifetime = std::chrono::hours(8);
  std::chrono::milliseconds renew_after = std::chrono::minutes(1);
  // Opened tickets kept for rows that have not changed since (tickets/opened_tickets.hpp).
  std::size_t opened_ticket_cache = 10'000;
  // A session found expired when loaded is deleted and published here (reason expired);
  // null: not published.
  std::shared_ptr<const events::SessionEvents> events;
};

struct IssuedSession {
  std::string handle;  // goes into the cookie, nowhere else
  std::string key;
  Timestamp expires;
  Timestamp absolute_expires;
};

struct ActiveSession {
  std::string key;
  UserSession session;                         // as stored (after any renewal)
  std::shared_ptr<const OpenedTicket> opened;  // never null; shared with the cache
  Timestamp expires;                           // when it ends unless renewed

  const SessionTicket& ticket() const { return opened->ticket(); }
};

// One session that ending by filter found (for audit events): never its ticket.
struct EndedSession {
  std::string key;  // the store key: for public_session_id(), never published as such
  std::string subject_id;
  std::optional<std::string> session_id;
};

// What ending sessions by filter did: how many, and the refresh tokens they held (to revoke them
// at the provider); with `describe`, the sessions read just before the delete.
struct EndedSessions {
  std::size_t count = 0;
  std::vector<std::string> refresh_tokens;
  std::vector<EndedSession> sessions;
};

class TicketStore {
 public:
  TicketStore(std::shared_ptr<UserSessionStore> store, std::shared_ptr<const crypto::KeyRing> keys,
              TicketStoreOptions options, Clock clock = system_clock());

  // The store key for a cookie value, or nullopt when the value is not a well-formed handle.
  static std::optional<std::string> key_for_handle(std::string_view handle) {
    return tickets::key_for_handle(handle);
  }

  // A fresh session under a fresh handle (every login: no session fixation). A stale session
  // of the same subject and sid is replaced; without a sid no other session is touched.
  boost::asio::awaitable<StoreResult<IssuedSession>> create(std::string subject,
                                                            std::optional<std::string> sid,
                                                            SessionTicket ticket);

  // The live session for a cookie value. Empty for a malformed handle, a missing, expired or
  // revoked session, or a ticket no key opens (anonymous, never an error); an error only when
  // the store itself fails (unavailable). With `slide`, renews the idle timeout (throttled).
  boost::asio::awaitable<StoreResult<std::optional<ActiveSession>>> load(std::string_view handle,
                                                                         bool slide);

  boost::asio::awaitable<StoreResult<void>> remove(std::string key);

  // The live session under a store key (no handle, no renewal): what a refresh re-reads once it
  // holds the session's lease. Empty when it is gone or expired.
  boost::asio::awaitable<StoreResult<std::optional<ActiveSession>>> load_key(std::string key);

  // Applies `change` to the session's ticket and stores it, only over the version it read
  // (compare-and-set): when another writer came first (a sliding renewal, on any instance), the
  // session is read again and `change` applied again, so neither write is lost. Empty when the
  // session is gone (revoked, expired).
  boost::asio::awaitable<StoreResult<std::optional<ActiveSession>>> update_ticket(
      std::string key, std::function<void(SessionTicket&)> change);

  // Ends every session matching `filter` with one delete-by-filter. With `refresh_tokens`, the
  // matching sessions are read (and their tickets opened) just before, to report their refresh
  // tokens; a session created in between is ended too, but its token is not reported. Without,
  // it is the bare delete. With `describe`, the sessions read are reported too (audit events);
  // `count` stays what the delete removed, which may differ when sessions came or went between.
  boost::asio::awaitable<StoreResult<EndedSessions>> end_sessions(UserSessionsFilter filter,
                                                                  bool refresh_tokens = true,
                                                                  bool describe = false);

  // The refresh token sealed in a stored session, when it has one and a key opens it.
  std::optional<std::string> refresh_token(const UserSession& session) const;

  const TicketStoreOptions& options() const { return options_; }
  const std::shared_ptr<UserSessionStore>& store() const { return store_; }

 private:
  Timestamp absolute_expiry(const UserSession& s) const;
  // The stored session opened, or empty (expired, unreadable); deletes an expired one.
  boost::asio::awaitable<std::optional<ActiveSession>> open(std::string key, UserSession stored);
  // Logs a failure of the store (not: not found, conflict, cancelled) at most once a second,
  // with how many it stands for: a store that is down fails every request.
  template <class T>
  const StoreResult<T>& noted(const StoreResult<T>& result, const char* operation) const {
    if (!result) note_failure(operation, result.error());
    return result;
  }
  void note_failure(const char* operation, boost::system::error_code ec) const;

  std::shared_ptr<UserSessionStore> store_;
  std::shared_ptr<const crypto::KeyRing> keys_;
  TicketStoreOptions options_;
  Clock clock_;
  OpenedTickets opened_;
  mutable std::atomic<std::int64_t> last_failure_line_ms_{-1'000'000};
  mutable std::atomic<std::uint64_t> unreported_failures_{0};
};

}  // namespace gatehouse::tickets
