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
//                         never comes back); a session id used by another session -> conflict
//   delete_user_session   missing key -> success
//   get/delete_user_sessions  filter with neither subject nor session id -> invalid_argument;
//                         with both -> sessions matching both
//   any                   empty or oversized key/id, foreign partition -> invalid_argument;
//                         backing store down -> unavailable; cancelled -> cancelled
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/store_error.hpp>
#include <gatehouse/session/user_session.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <optional>
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
};

struct DeleteExpiredOptions {
  // Rows removed per transaction; between batches other writers get their turn.
  std::size_t batch_size = 1000;
};

// Removes expired sessions of the store's partition: exactly those with `expires < now` by the
// store's clock; sessions without an expiry are kept. Returns how many were removed. Each batch
// is atomic: cancelled between batches, it reports what the finished batches removed.
class UserSessionStoreCleanup {
 public:
  virtual ~UserSessionStoreCleanup() = default;

  virtual boost::asio::awaitable<StoreResult<std::size_t>> delete_expired_sessions(
      DeleteExpiredOptions options = {}) = 0;
};

}  // namespace gatehouse
