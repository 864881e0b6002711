#include "audit/event_json.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>

namespace gatehouse::audit {

std::string format_time(Timestamp time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto millis = (time - seconds).count();
  const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

std::string event_json(const events::SessionEvent& e) {
  boost::json::object o;
  o["time"] = format_time(e.time);
  o["event"] = events::to_string(e.kind);
  o["partition"] = e.partition;
  if (!e.subject.empty()) o["sub"] = e.subject;
  if (e.sid) o["sid"] = *e.sid;
  if (!e.session_id.empty()) o["session_id"] = e.session_id;
  if (!e.client_address.empty()) o["client_address"] = e.client_address;
  if (!e.user_agent.empty()) o["user_agent"] = e.user_agent;
  if (e.reason) o["reason"] = events::to_string(*e.reason);
  if (e.actor) o["actor"] = events::to_string(*e.actor);
  if (!e.action.empty()) o["action"] = e.action;
  o["count"] = e.count;
  return boost::json::serialize(o);
}

}  // namespace gatehouse::audit
