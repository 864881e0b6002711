// One session event as one JSON object on one line (no newline): the audit log's format.
//   {"time":"2026-12-01T10:00:00.123Z","event":"session_ended","partition":"app","sub":"alice",
//    "sid":"...","session_id":"...","client_address":"203.0.113.7","user_agent":"...",
//    "reason":"logout","actor":"user","count":1}
// time, event, partition and count are always there; the others only when they have a value.
#pragma once

#include "events/session_events.hpp"

#include <string>

namespace gatehouse::audit {

// "2026-12-01T10:00:00.123Z"
std::string format_time(Timestamp time);

std::string event_json(const events::SessionEvent& event);

}  // namespace gatehouse::audit
