// Publishing session lifecycle events from the BFF: who (sub, sid, public session id), from
// where (the request's peer address and User-Agent), and why a session ended. Never a token, a
// cookie handle or a whole store key. Every function is a no-op without subscribers.
#pragma once

#include "events/session_events.hpp"
#include "http/message.hpp"
#include "tickets/ticket_store.hpp"

#include <optional>
#include <string>

namespace gatehouse::bff {

// The peer address and the cleaned User-Agent of `request`.
events::RequestOrigin origin_of(const http::Request& request);

// What a published event says about one session.
struct SessionFacts {
  std::string key;  // store key: only its public session id is published
  std::string subject;
  std::optional<std::string> sid;
};

void publish_session(const events::SessionEvents* events, events::EventKind kind,
                     const SessionFacts& session, const events::RequestOrigin* origin,
                     std::optional<events::EndReason> reason = std::nullopt,
                     std::optional<events::Actor> actor = std::nullopt);

// One session_ended per session `ended` describes; when the delete removed a different number
// than was read just before (sessions came or went in between), one event for the whole
// `filter` with the count instead, so counts always add up to what was removed.
void publish_ended(const events::SessionEvents* events, const tickets::EndedSessions& ended,
                   const UserSessionsFilter& filter, events::EndReason reason, events::Actor actor,
                   const events::RequestOrigin* origin);

// True when publishing is worth the work (someone listens).
inline bool listening(const events::SessionEvents* events) {
  return events && !events->empty();
}

}  // namespace gatehouse::bff
