#include "bff/session_audit.hpp"

#include "tickets/handle.hpp"

namespace gatehouse::bff {

events::RequestOrigin origin_of(const http::Request& request) {
  return {std::string(request.client_address()),
          events::clean_user_agent(request.header("User-Agent").value_or(""))};
}

void publish_session(const events::SessionEvents* events, events::EventKind kind,
                     const SessionFacts& session, const events::RequestOrigin* origin,
                     std::optional<events::EndReason> reason, std::optional<events::Actor> actor) {
  if (!listening(events)) return;
  auto event = events->make(kind, origin);
  event.subject = session.subject;
  event.sid = session.sid;
  if (!session.key.empty()) event.session_id = tickets::public_session_id(session.key);
  event.reason = reason;
  event.actor = actor;
  events->publish(event);
}

void publish_ended(const events::SessionEvents* events, const tickets::EndedSessions& ended,
                   const UserSessionsFilter& filter, events::EndReason reason, events::Actor actor,
                   const events::RequestOrigin* origin) {
  if (!listening(events) || ended.count == 0) return;
  if (ended.sessions.size() == ended.count) {
    for (const auto& s : ended.sessions)
      publish_session(events, events::EventKind::session_ended, {s.key, s.subject_id, s.session_id},
                      origin, reason, actor);
    return;
  }
  auto event = events->make(events::EventKind::session_ended, origin);
  event.subject = filter.subject_id.value_or("");
  event.sid = filter.session_id;
  event.reason = reason;
  event.actor = actor;
  event.count = ended.count;
  events->publish(event);
}

}  // namespace gatehouse::bff
