// Durations ("1h30m", "500ms") and sizes ("64KiB", "1MB") as written in the config file.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::config {

// A parsed value or why it could not be parsed (the reason never repeats the input's setting).
template <class T>
struct ParseResult {
  std::optional<T> value;
  std::string error;

  explicit operator bool() const { return value.has_value(); }
};

// One or more <digits><unit> groups, largest unit first: "500ms", "30s", "1h30m", "1d".
// Units: ms, s, m, h, d. No sign, no fraction, no spaces, no bare number (is "30" seconds?).
ParseResult<std::chrono::milliseconds> parse_duration(std::string_view text);

// A byte count with an optional unit: "512", "512B", "64KiB", "1MiB", "1GiB" (powers of 1024)
// or "64KB", "1MB", "1GB" (powers of 1000).
ParseResult<std::uint64_t> parse_size(std::string_view text);

// The shortest form parse_duration reads back to the same value ("90m" -> "1h30m", 0 -> "0s").
std::string format_duration(std::chrono::milliseconds duration);

// The largest binary unit that divides the value exactly ("1MiB", "1536B" -> "1536").
std::string format_size(std::uint64_t bytes);

}  // namespace gatehouse::config
