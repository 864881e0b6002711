#include "metrics/session_metrics.hpp"

namespace gatehouse::metrics {

using events::EndReason;
using events::EventKind;

SessionMetrics::SessionMetrics(Registry& registry)
    : started_(&registry.counter("gatehouse_sessions_started_total", "Sessions started (logins).")),
      refreshed_(&registry.counter("gatehouse_sessions_refreshed_total",
                                   "Sessions whose tokens were refreshed.")) {
  auto& ended = registry.counter_family("gatehouse_sessions_ended_total",
                                        "Sessions ended, by reason.", {"reason"});
  constexpr EndReason reasons[] = {
      EndReason::logout,  EndReason::backchannel,    EndReason::user, EndReason::admin,
      EndReason::expired, EndReason::refresh_failed, EndReason::limit};
  static_assert(std::size(reasons) == kReasons);
  for (const auto reason : reasons)
    ended_[static_cast<std::size_t>(reason)] = &ended.with({events::to_string(reason)});
}

void SessionMetrics::publish(const events::SessionEvent& event) noexcept {
  switch (event.kind) {
    case EventKind::session_started:
      started_->inc(event.count);
      return;
    case EventKind::session_refreshed:
      refreshed_->inc(event.count);
      return;
    case EventKind::session_ended:
      if (event.reason && static_cast<std::size_t>(*event.reason) < kReasons)
        ended_[static_cast<std::size_t>(*event.reason)]->inc(event.count);
      return;
    case EventKind::admin_action:
      return;
  }
}

}  // namespace gatehouse::metrics
