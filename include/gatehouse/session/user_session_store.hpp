// The user session store contract, the one header a store author needs.
//
// A store is bound to one partition (application name) when it is constructed and applies it to
// every read, write and delete: partitions sharing one database never see or delete each other.
//
// Every operation is a C++20 coroutine on Boost.Asio. It resumes the awaiting coroutine on that
// coroutine's own executor, whatever thread the store did the work on, and honours Asio's
// per-operation cancellation (the spec's CancellationToken): a cancelled operation either took
// effect completely and reports its result, or did nothing and reports StoreErrc::cancelled.
//
// Outcomes (StoreErrc in store_error.hpp), the same for every store:
//   get_user_session      unknown key -> empty optional (not an error)
//   create_user_session   existing key, or a session id already used in the partition ->
//                         conflict, the stored session unchanged
//   update_user_session   missing key -> not_found, and nothing is created (a revoked session
//                         never comes back); a session id used by another session -> conflict;
//                         expected_version set and not the stored version -> conflict, unchanged.
//                         Every update adds one to the version (create makes it 1)
//   delete_user_session   missing key -> success
//   get/delete_user_sessions  filter with neither subject nor session id -> invalid_argument;
//                         with both -> sessions matching both
//   any                   empty or oversized key/id, foreign partition -> invalid_argument;
//                         backing store down -> unavailable; cancelled -> cancelled
//
// Optional abilities, each its own interface a store may also implement (callers find them with
// dynamic_cast; the builder hands them out in BffServices):
//   UserSessionStoreCleanup     delete expired sessions in batches, optionally reporting each
//                               one removed (who it was: for audit events)
//   UserSessionStoreListing     every session of the partition, a page at a time, in key order
//   UserSessionStorePartitions  another partition of the same database through the same
//                               connections and writer (sessions, replay records and leases of
//                               one gateway share one engine)
// Helpers for writing a store (argument checks, cancellation, applying an update) are in
// user_session_validation.hpp and store_support.hpp.
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/store_error.hpp>
#include <gatehouse/session/user_session.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace gatehouse {

class UserSessionStore {
 public:
  virtual ~UserSessionStore() = default;

  virtual boost::asio::awaitable<StoreResult<std::optional<UserSession>>> get_user_session(
      std::string key) = 0;

  virtual boost::asio::awaitable<StoreResult<void>> create_user_session(UserSession session) = 0;

  virtual boost::asio::awaitable<StoreResult<void>> update_user_session(
      std::string key, UserSessionUpdate update) = 0;

  virtual boost::asio::awaitable<StoreResult<void>> delete_user_session(std::string key) = 0;

  virtual boost::asio::awaitable<StoreResult<std::vector<UserSession>>> get_user_sessions(
      UserSessionsFilter filter) = 0;

  // Returns how many sessions were deleted.
  virtual boost::asio::awaitable<StoreResult<std::size_t>> delete_user_sessions(
      UserSessionsFilter filter) = 0;
};

// What the builder hands a store constructor that accepts it as its first argument.
struct UserSessionStoreContext {
  std::string partition;  // application name the store must bind to
  Clock clock;            // "now" for expiry decisions
  // Where the gateway's io threads run (empty outside a gateway). A store may run its own I/O
  // there rather than on a thread of its own, to spare every operation two thread hops; the
  // context outlives every store the builder makes.
  boost::asio::any_io_executor executor = {};
};

struct DeleteExpiredOptions {
  // Rows removed per transaction; between batches other writers get their turn.
  std::size_t batch_size = 1000;
  // When set, called once for every batch that removed sessions, after it committed, with
  // exactly the sessions it removed (never for a batch that failed or rolled back, so the
  // sessions reported add up to the count returned). It runs in the cleanup's coroutine, on the
  // awaiting coroutine's executor, before the next batch starts: what it takes delays the cleanup
  // (and, on a gateway io thread, requests), so keep it short and never let it throw. Unset, a
  // store reads nothing back (SQL stores use DELETE ... RETURNING only when it is set). Inside a
  // co_await, pass named options: g++ 12 destroys a temporary argument there twice.
  std::function<void(std::span<const ExpiredSession> removed)> on_removed;
};

// Removes expired sessions of the store's partition: exactly those with `expires < now` by the
// store's clock; sessions without an expiry are kept. Returns how many were removed. Each batch
// is atomic: cancelled between batches, it reports (and on_removed has seen) what the finished
// batches removed.
class UserSessionStoreCleanup {
 public:
  virtual ~UserSessionStoreCleanup() = default;

  virtual boost::asio::awaitable<StoreResult<std::size_t>> delete_expired_sessions(
      DeleteExpiredOptions options = {}) = 0;
};

// One page of a listing: sessions with keys greater than `after` (from the first key when
// empty), at most `limit` of them.
struct UserSessionPageRequest {
  static constexpr std::size_t max_limit = 1000;
  std::optional<std::string> after;
  std::size_t limit = 100;
};

struct UserSessionPage {
  std::vector<UserSession> sessions;  // ascending by key
  std::optional<std::string> next;    // `after` for the following page; none: nothing follows
};

// Every session of the store's partition, one page at a time, in key order (keyset pagination:
// a session created or deleted between pages never shifts the others, and each session present
// for the whole walk is listed exactly once). Outcomes: `limit` outside 1..max_limit, or `after`
// empty or oversized -> invalid_argument; unavailable; cancelled. Runs and completes like the
// other operations.
class UserSessionStoreListing {
 public:
  virtual ~UserSessionStoreListing() = default;

  virtual boost::asio::awaitable<StoreResult<UserSessionPage>> list_user_sessions(
      UserSessionPageRequest page) = 0;
};

// A store bound to `partition` on this store's own database, sharing its connections, threads
// and writer (one writer per database file). The result implements the same abilities as this
// store. Throws, as the store's constructors do, for an invalid partition (a configuration
// error: std::invalid_argument or StoreOpenError).
class UserSessionStorePartitions {
 public:
  virtual ~UserSessionStorePartitions() = default;

  virtual std::shared_ptr<UserSessionStore> open_partition(std::string partition) = 0;
};

}  // namespace gatehouse
