// Session lifecycle events: one per session start, refresh and end, and one per operator action.
// The gateway publishes them here; subscribers (the audit log, the metrics) are added once at
// start-up, before any request, and must be cheap and non-blocking: publish() runs on the io
// thread that caused the event, on any of the io threads at once. Never carries a token, a cookie
// handle or a whole store key.
#pragma once

#include <gatehouse/session/clock.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::events {

enum class EventKind { session_started, session_refreshed, session_ended, admin_action };

// Why a session ended (the `reason` label of gatehouse_sessions_ended_total and of audit events).
enum class EndReason { logout, backchannel, user, admin, expired, refresh_failed, limit };

// Who made it happen.
enum class Actor { user, provider, admin, cleanup, gateway };

std::string_view to_string(EventKind kind);
std::string_view to_string(EndReason reason);
std::string_view to_string(Actor actor);

struct SessionEvent {
  EventKind kind = EventKind::session_started;
  Timestamp time{};
  std::string partition;
  std::string subject;              // the provider's `sub`; empty for actions not about one user
  std::optional<std::string> sid;   // the provider's session id, when known
  std::string session_id;           // the public session id (what GET /bff/sessions shows)
  std::string client_address;       // of the request that caused the event; empty for cleanup
  std::string user_agent;           // its User-Agent summary, when there was a request
  std::optional<EndReason> reason;  // session_ended
  std::optional<Actor> actor;       // session_ended and admin_action
  std::string action;               // admin_action: "revoke", "cleanup", ...; else empty
  std::uint64_t count = 1;          // sessions this event stands for (an end by filter whose
                                    // sessions could not all be named: many)
};

class SessionEventSink {
 public:
  virtual ~SessionEventSink() = default;
  // Must not throw or block (queue and return).
  virtual void publish(const SessionEvent& event) noexcept = 0;
};

// Where the request behind an event came from: the peer address and its User-Agent, cleaned.
struct RequestOrigin {
  std::string client_address;
  std::string user_agent;
};

// User-Agent values in events are at most this long.
inline constexpr std::size_t kMaxEventUserAgent = 256;

// The raw header value, cut to kMaxEventUserAgent bytes, with everything but printable ASCII
// removed (no control characters or broken UTF-8 reach a log line or a JSON consumer).
std::string clean_user_agent(std::string_view raw);

// The fan-out: subscribers are added before the gateway serves, then only read.
class SessionEvents {
 public:
  // The partition every event of this gateway belongs to; set once, before serving.
  void set_partition(std::string partition) { partition_ = std::move(partition); }
  const std::string& partition() const { return partition_; }
  // The events' "now": the gateway's clock (BffBuilder::clock), like every expiry decision.
  void set_clock(Clock clock) { clock_ = clock ? std::move(clock) : system_clock(); }
  // An event of `kind` stamped with the partition and the clock's time.
  SessionEvent make(EventKind kind, const RequestOrigin* origin = nullptr) const;

  void subscribe(std::shared_ptr<SessionEventSink> sink) { sinks_.push_back(std::move(sink)); }
  bool empty() const { return sinks_.empty(); }
  void publish(const SessionEvent& event) const noexcept {
    for (const auto& sink : sinks_) sink->publish(event);
  }

 private:
  std::vector<std::shared_ptr<SessionEventSink>> sinks_;
  std::string partition_;
  Clock clock_ = system_clock();
};

}  // namespace gatehouse::events
