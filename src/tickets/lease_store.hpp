// "One at a time, across every instance sharing the store": a lease per key (a session's token
// refresh), held in a partition of its own of any user session store. Created if absent,
// expiring, renewed by its holder while the work runs, taken over by another only once expired,
// and every change a compare-and-set on the record's version, so two instances can never both
// believe they hold it (a crashed holder's lease simply runs out).
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/user_session_store.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::tickets {

// "<partition>/refresh-lease", or a hash-derived name when that would exceed the store's limit.
std::string lease_partition(std::string_view session_partition);

struct Lease {
  std::string key;
  std::string owner;  // random: which holder this is
  std::uint64_t version = 0;
  Timestamp expires{};
};

class LeaseStore {
 public:
  explicit LeaseStore(std::shared_ptr<UserSessionStore> store, Clock clock = system_clock());

  // The lease on `key` for `ttl`, or empty when another holder's lease is still live.
  boost::asio::awaitable<StoreResult<std::optional<Lease>>> try_acquire(
      std::string key, std::chrono::milliseconds ttl);

  // Pushes the expiry out; false when the lease was lost (it ran out and someone took it).
  boost::asio::awaitable<StoreResult<bool>> renew(Lease& lease, std::chrono::milliseconds ttl);

  // Ends it at once so a waiter can take over; harmless when already lost.
  boost::asio::awaitable<void> release(Lease& lease);

 private:
  std::shared_ptr<UserSessionStore> store_;
  Clock clock_;
};

}  // namespace gatehouse::tickets
