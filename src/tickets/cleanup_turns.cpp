#include "tickets/cleanup_turns.hpp"

#include <spdlog/spdlog.h>

namespace gatehouse::tickets {

LeaseCleanupTurns::LeaseCleanupTurns(std::shared_ptr<LeaseStore> leases, std::string partition,
                                     std::chrono::milliseconds interval)
    : leases_(std::move(leases)), key_("cleanup:" + std::move(partition)), interval_(interval) {}

boost::asio::awaitable<bool> LeaseCleanupTurns::take_turn() {
  // A little less than the interval: the next round's turn is free again when its timer fires.
  const auto ttl = std::max(std::chrono::milliseconds(1), interval_ - interval_ / 10);
  auto lease = co_await leases_->try_acquire(key_, ttl);
  if (!lease) {
    spdlog::debug("session cleanup: cannot take the turn ({}); skipping this round",
                  lease.error().message());
    co_return false;
  }
  co_return lease->has_value();
}

}  // namespace gatehouse::tickets
