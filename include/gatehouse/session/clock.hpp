// Time as the session layer sees it: UTC, millisecond resolution, injectable for tests.
#pragma once

#include <chrono>
#include <functional>

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

}  // namespace gatehouse
