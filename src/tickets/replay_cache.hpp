// "Accepted once only" for one-time tokens (back-channel logout jtis), shared by every instance
// through a user session store: a record per token, created atomically, expiring with the token.
// Create-if-absent is the one atomic operation every store has, so the first instance to record
// a jti wins and every other instance (or a second delivery) sees a conflict.
//
// Records live in their own partition (replay_partition()) so they never mix with sessions, and
// the store's expiry cleanup removes them.
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/user_session_store.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace gatehouse::tickets {

// "<partition>/logout-jti", or a hash-derived name when that would exceed the store's limit.
std::string replay_partition(std::string_view session_partition);

class ReplayCache {
 public:
  explicit ReplayCache(std::shared_ptr<UserSessionStore> store, Clock clock = system_clock());

  // True when (issuer, id) was not seen before; it is recorded until `until`. False for a
  // replay. An error (store unavailable, ...) means the caller cannot know and must refuse.
  boost::asio::awaitable<StoreResult<bool>> first_use(std::string_view issuer, std::string_view id,
                                                      Timestamp until);

  // Forgets a recorded id, so a delivery whose processing failed can be retried.
  boost::asio::awaitable<StoreResult<void>> forget(std::string_view issuer, std::string_view id);

 private:
  std::shared_ptr<UserSessionStore> store_;
  Clock clock_;
};

}  // namespace gatehouse::tickets
