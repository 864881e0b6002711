#include "events/session_events.hpp"

namespace gatehouse::events {

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::session_started:
      return "session_started";
    case EventKind::session_refreshed:
      return "session_refreshed";
    case EventKind::session_ended:
      return "session_ended";
    case EventKind::admin_action:
      return "admin_action";
  }
  return "unknown";
}

std::string_view to_string(EndReason reason) {
  switch (reason) {
    case EndReason::logout:
      return "logout";
    case EndReason::backchannel:
      return "backchannel";
    case EndReason::user:
      return "user";
    case EndReason::admin:
      return "admin";
    case EndReason::expired:
      return "expired";
    case EndReason::refresh_failed:
      return "refresh_failed";
    case EndReason::limit:
      return "limit";
  }
  return "unknown";
}

std::string_view to_string(Actor actor) {
  switch (actor) {
    case Actor::user:
      return "user";
    case Actor::provider:
      return "provider";
    case Actor::admin:
      return "admin";
    case Actor::cleanup:
      return "cleanup";
    case Actor::gateway:
      return "gateway";
  }
  return "unknown";
}

std::string clean_user_agent(std::string_view raw) {
  std::string out;
  for (const char c : raw.substr(0, kMaxEventUserAgent))
    if (c >= 0x20 && c < 0x7f) out.push_back(c);
  return out;
}

SessionEvent SessionEvents::make(EventKind kind, const RequestOrigin* origin) const {
  SessionEvent event;
  event.kind = kind;
  event.time = clock_();
  event.partition = partition_;
  if (origin) {
    event.client_address = origin->client_address;
    event.user_agent = origin->user_agent;
  }
  return event;
}

}  // namespace gatehouse::events
