// Process figures read from /proc when scraped: process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_threads,
// process_cpu_seconds_total and process_start_time_seconds (the names Prometheus' own client
// libraries use, so stock dashboards work).
#pragma once

#include "metrics/metrics.hpp"

#include <optional>
#include <string_view>

namespace gatehouse::metrics {

// Registers the process figures in `registry` (again: replaces them). Linux only: elsewhere they
// render NaN.
void register_process_metrics(Registry& registry);

// Fields of a /proc/<pid>/stat line, exposed for tests: (3) is the state after "(comm)".
struct ProcStat {
  double user_ticks = 0;
  double system_ticks = 0;
  double threads = 0;
  double start_ticks = 0;  // since boot
};
std::optional<ProcStat> parse_proc_stat(std::string_view line);

}  // namespace gatehouse::metrics
