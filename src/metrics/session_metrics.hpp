// Counts session lifecycle events: gatehouse_sessions_started_total,
// gatehouse_sessions_refreshed_total and gatehouse_sessions_ended_total{reason} (every reason of
// events::EndReason is present from the start, at 0). Subscribe it to the gateway's
// events::SessionEvents; publish() is a relaxed atomic add per event.
#pragma once

#include "events/session_events.hpp"
#include "metrics/metrics.hpp"

#include <array>

namespace gatehouse::metrics {

class SessionMetrics final : public events::SessionEventSink {
 public:
  explicit SessionMetrics(Registry& registry = default_registry());
  void publish(const events::SessionEvent& event) noexcept override;

 private:
  Counter* started_;
  Counter* refreshed_;
  static constexpr std::size_t kReasons = 7;  // events::EndReason
  std::array<Counter*, kReasons> ended_{};
};

}  // namespace gatehouse::metrics
