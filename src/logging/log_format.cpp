#include "logging/log_format.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace gatehouse::logging {
namespace {

thread_local const RequestFields* current_fields = nullptr;
std::atomic<bool> json_enabled{false};

// Length of the valid UTF-8 sequence at the start of `s`, or 0.
std::size_t utf8_sequence(std::string_view s) {
  const auto b = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  std::size_t n = 0;
  unsigned min = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  unsigned code = c & (0x7f >> n);
  for (std::size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (b(i) & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return n;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":\"";
  append_json_escaped(out, value);
  out += '"';
}

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

// "2026-12-01T17:34:26.123Z": the part up to the seconds is made once per second per thread.
void append_timestamp(std::string& out, spdlog::log_clock::time_point time) {
  struct Second {
    std::int64_t seconds = -1;
    char text[24] = {};
    std::size_t size = 0;
  };
  thread_local Second cached;
  const auto since = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since - seconds);
  if (cached.seconds != seconds.count()) {
    const std::time_t t = static_cast<std::time_t>(seconds.count());
    std::tm utc{};
    gmtime_r(&t, &utc);
    const int n = std::snprintf(cached.text, sizeof cached.text, "%04d-%02d-%02dT%02d:%02d:%02d",
                                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                                utc.tm_min, utc.tm_sec);
    cached.size = n > 0 && static_cast<std::size_t>(n) < sizeof cached.text ? n : 0;
    cached.seconds = seconds.count();
  }
  out.append(cached.text, cached.size);
  const auto ms = static_cast<int>(millis.count());
  const char tail[] = {'.', static_cast<char>('0' + ms / 100),
                       static_cast<char>('0' + ms / 10 % 10), static_cast<char>('0' + ms % 10),
                       'Z'};
  out.append(tail, sizeof tail);
}

template <typename Number>
void append_number(std::string& out, Number value) {
  char digits[32];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  if (ec == std::errc()) out.append(digits, end);
}

// Milliseconds with three decimals ("0.250"), as printf's "%.3f" would write them.
void append_milliseconds(std::string& out, double ms) {
  char digits[48];
  const auto [end, ec] =
      std::to_chars(digits, digits + sizeof digits, ms, std::chars_format::fixed, 3);
  if (ec == std::errc()) out.append(digits, end);
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    // Reused: no allocation per line once it has grown.
    thread_local std::string line;
    line.clear();
    line += "{\"timestamp\":\"";
    append_timestamp(line, msg.time);
    line += "\",\"level\":\"";
    line += level_name(msg.level);
    line += "\",\"message\":\"";
    append_json_escaped(line, std::string_view(msg.payload.data(), msg.payload.size()));
    line += '"';
    if (const auto* f = current_fields) {
      append_field(line, "request_id", f->request_id);
      append_field(line, "method", f->method);
      append_field(line, "path", f->path);
      append_field(line, "route", f->route);
      line += ",\"status\":";
      append_number(line, f->status);
      line += ",\"duration_ms\":";
      append_milliseconds(line, f->duration_ms);
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

spdlog::level::level_enum to_spdlog(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::trace:
      return spdlog::level::trace;
    case config::LogLevel::debug:
      return spdlog::level::debug;
    case config::LogLevel::info:
      return spdlog::level::info;
    case config::LogLevel::warn:
      return spdlog::level::warn;
    case config::LogLevel::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

RequestFieldsScope::RequestFieldsScope(const RequestFields& fields) noexcept {
  current_fields = &fields;
}
RequestFieldsScope::~RequestFieldsScope() {
  current_fields = nullptr;
}

bool in_request_scope() noexcept {
  return current_fields != nullptr;
}

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto plain = [](unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; };
  for (std::size_t i = 0; i < text.size();) {
    // A run of printable ASCII goes in at once (most of any line).
    std::size_t run = i;
    while (run < text.size() && plain(static_cast<unsigned char>(text[run]))) ++run;
    if (run > i) {
      out.append(text.data() + i, run - i);
      i = run;
      continue;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(text.substr(i));
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 0xf];
    }
  }
}

std::unique_ptr<spdlog::formatter> json_formatter() {
  return std::make_unique<JsonFormatter>();
}

bool json_lines() noexcept {
  return json_enabled.load(std::memory_order_relaxed);
}

void apply(const config::LogConfig& log, bool terminal) {
  const bool json = log.format == config::LogFormat::json ||
                    (log.format == config::LogFormat::automatic && !terminal);
  if (json)
    spdlog::set_formatter(json_formatter());
  else
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  json_enabled.store(json, std::memory_order_relaxed);
  spdlog::set_level(to_spdlog(log.level));
}

}  // namespace gatehouse::logging
