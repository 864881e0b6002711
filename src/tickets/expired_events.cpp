#include "tickets/expired_events.hpp"

#include "tickets/handle.hpp"

namespace gatehouse::tickets {

void publish_expired(const events::SessionEvents* events, std::span<const ExpiredSession> removed,
                     events::Actor actor, const events::RequestOrigin* origin) {
  if (!events || events->empty()) return;
  auto event = events->make(events::EventKind::session_ended, origin);
  event.reason = events::EndReason::expired;
  event.actor = actor;
  for (const auto& s : removed) {
    event.subject = s.subject_id;
    event.sid = s.session_id;
    event.session_id = public_session_id(s.key);
    events->publish(event);
  }
}

}  // namespace gatehouse::tickets
