// Audit events for sessions a cleanup removed: one session_ended (reason expired) per session,
// named as every other session event is (sub, sid, public session id; never the store key).
#pragma once

#include <gatehouse/session/user_session.hpp>

#include "events/session_events.hpp"

#include <span>

namespace gatehouse::tickets {

// A no-op without subscribers. `actor`: cleanup for the periodic one, admin for an operator's;
// `origin` (may be null): the request or command behind it.
void publish_expired(const events::SessionEvents* events, std::span<const ExpiredSession> removed,
                     events::Actor actor, const events::RequestOrigin* origin = nullptr);

}  // namespace gatehouse::tickets
