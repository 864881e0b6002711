// At most one log line per interval for a failure that repeats (a full disk, a webhook that is
// down), with how many were held back since: a broken destination never floods the log.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>

namespace gatehouse::audit {

class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::milliseconds every = std::chrono::seconds(10))
      : every_(every) {}

  // A value (how many lines were held back before this one) when a line may be written now.
  std::optional<std::uint64_t> allow() {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    auto last = last_ms_.load(std::memory_order_relaxed);
    if (now - last < every_.count() ||
        !last_ms_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
      held_back_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    return held_back_.exchange(0, std::memory_order_relaxed);
  }

 private:
  std::chrono::milliseconds every_;
  std::atomic<std::int64_t> last_ms_{std::numeric_limits<std::int32_t>::min()};
  std::atomic<std::uint64_t> held_back_{0};
};

}  // namespace gatehouse::audit
