// Time as the session layer sees it: UTC, millisecond resolution, injectable for tests.
#pragma once

#include <chrono>
#include <ctime>
#include <functional>
#include <string>

namespace gatehouse {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// Returns "now". Stores and services take one so tests never sleep to make time pass.
using Clock = std::function<Timestamp()>;

inline Timestamp system_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

inline Clock system_clock() {
  return &system_now;
}

// "2026-11-27T10:00:00Z": how sessions' times are shown to users and operators.
inline std::string format_utc(Timestamp t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace gatehouse
