// How gatehouse's log lines look: text for a person at a terminal, or one JSON object per line
// for a collector ({"timestamp","level","message"} plus, on a request's line, request_id, method,
// path, route, status and duration_ms). Every line goes through spdlog's default logger; the
// gateway's request lines attach their fields with RequestFieldsScope.
#pragma once

#include <gatehouse/config/config.hpp>

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace gatehouse::logging {

// The fields of one request's line. Views: valid for the scope's lifetime only.
struct RequestFields {
  std::string_view request_id;
  std::string_view method;
  std::string_view path;  // without the query
  std::string_view route;
  int status = 0;
  double duration_ms = 0;
};

// While alive, lines logged on this thread carry `fields` (in the JSON format). Not nestable.
class RequestFieldsScope {
 public:
  explicit RequestFieldsScope(const RequestFields& fields) noexcept;
  ~RequestFieldsScope();
  RequestFieldsScope(const RequestFieldsScope&) = delete;
  RequestFieldsScope& operator=(const RequestFieldsScope&) = delete;
};

// Whether a RequestFieldsScope is alive on this thread (the line logged now is a request's).
bool in_request_scope() noexcept;

// One JSON object per line.
std::unique_ptr<spdlog::formatter> json_formatter();

// Sets the default logger's format and level; kAuto picks text when `terminal` (stderr is a
// terminal), else JSON.
void apply(const config::LogConfig& log, bool terminal);

// Whether lines are JSON now (the request line keeps its message short then: the fields are
// there).
bool json_lines() noexcept;

// `text` as the inside of a JSON string: quotes, backslashes and control characters escaped,
// invalid UTF-8 replaced by U+FFFD.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace gatehouse::logging
