#include "metrics/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace gatehouse::metrics {
namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<ProcStat> own_stat() {
  return parse_proc_stat(read_file("/proc/self/stat"));
}

double page_figure(int field) {  // /proc/self/statm: size resident shared ... (pages)
  std::istringstream in(read_file("/proc/self/statm"));
  double value = std::nan("");
  for (int i = 0; i <= field; ++i)
    if (!(in >> value)) return std::nan("");
  return value * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double open_fds() {
  std::error_code ec;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++count;
  return ec ? std::nan("") : count - 1;  // less the descriptor that reads the directory
}

double max_fds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nan("");
  return limit.rlim_cur == RLIM_INFINITY ? std::nan("") : static_cast<double>(limit.rlim_cur);
}

// Boot time (/proc/stat btime) plus the process's start in clock ticks since boot.
double start_time_seconds() {
  const auto stat = own_stat();
  std::istringstream in(read_file("/proc/stat"));
  for (std::string line; stat && std::getline(in, line);)
    if (line.starts_with("btime "))
      return std::stod(line.substr(6)) +
             stat->start_ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  return std::nan("");
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view line) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  std::vector<std::string_view> fields;  // fields[0] is field (3), the state
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  }
  const auto number = [&fields](std::size_t field, double& out) {
    const auto& text = fields.at(field - 3);
    long long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return false;
    out = static_cast<double>(value);
    return true;
  };
  if (fields.size() < 20) return std::nullopt;  // (22) starttime is fields[19]
  ProcStat out;
  if (!number(14, out.user_ticks) || !number(15, out.system_ticks) || !number(20, out.threads) ||
      !number(22, out.start_ticks))
    return std::nullopt;
  return out;
}

void register_process_metrics(Registry& registry) {
  registry.callback("process_resident_memory_bytes", "Resident memory size in bytes.", Type::gauge,
                    [] { return page_figure(1); });
  registry.callback("process_virtual_memory_bytes", "Virtual memory size in bytes.", Type::gauge,
                    [] { return page_figure(0); });
  registry.callback("process_open_fds", "Number of open file descriptors.", Type::gauge, open_fds);
  registry.callback("process_max_fds", "Maximum number of open file descriptors (soft limit).",
                    Type::gauge, max_fds);
  registry.callback("process_threads", "Number of OS threads in the process.", Type::gauge, [] {
    const auto stat = own_stat();
    return stat ? stat->threads : std::nan("");
  });
  registry.callback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                    Type::counter, [] {
                      const auto stat = own_stat();
                      return stat ? (stat->user_ticks + stat->system_ticks) /
                                        static_cast<double>(sysconf(_SC_CLK_TCK))
                                  : std::nan("");
                    });
  const double started = start_time_seconds();
  registry.callback("process_start_time_seconds",
                    "Start time of the process since unix epoch in seconds.", Type::gauge,
                    [started] { return started; });
}

}  // namespace gatehouse::metrics
