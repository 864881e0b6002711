#include "config/units.hpp"

#include "config/text.hpp"

#include <array>
#include <cctype>
#include <limits>
#include <utility>

namespace gatehouse::config {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

// Largest first: format_duration picks greedily, and parse_duration demands this order.
constexpr std::array<Unit, 5> duration_units{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

constexpr std::array<Unit, 8> size_units{{
    {"B", 1},
    {"KiB", 1ull << 10},
    {"MiB", 1ull << 20},
    {"GiB", 1ull << 30},
    {"KB", 1'000},
    {"MB", 1'000'000},
    {"GB", 1'000'000'000},
    {"", 1},
}};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads digits at `pos`; nullopt when the number does not fit in 64 bits.
std::optional<std::uint64_t> read_number(std::string_view text, std::size_t& pos) {
  std::uint64_t n = 0;
  for (; pos < text.size() && is_digit(text[pos]); ++pos) {
    const auto digit = static_cast<std::uint64_t>(text[pos] - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    n = n * 10 + digit;
  }
  return n;
}

std::string quoted(std::string_view text) {
  return quote_for_message(text);
}

template <class T>
ParseResult<T> fail(std::string message) {
  return {std::nullopt, std::move(message)};
}

}  // namespace

ParseResult<std::chrono::milliseconds> parse_duration(std::string_view text) {
  using R = std::chrono::milliseconds;
  constexpr std::string_view hint =
      " (use e.g. \"500ms\", \"30s\", \"10m\", \"8h\", \"1d\", \"1h30m\")";
  if (text.empty()) return fail<R>("must be a duration, got an empty string" + std::string(hint));
  if (text.front() == '-') return fail<R>("must not be negative, got " + quoted(text));

  constexpr auto max_ms = static_cast<std::uint64_t>(std::numeric_limits<R::rep>::max());
  std::uint64_t total = 0;
  std::size_t pos = 0;
  std::size_t previous_unit = 0;  // index into duration_units; units must get smaller
  bool first = true;
  while (pos < text.size()) {
    if (!is_digit(text[pos]))
      return fail<R>("is not a duration: " + quoted(text) + std::string(hint));
    const auto number = read_number(text, pos);
    if (!number) return fail<R>("is too large: " + quoted(text));
    const std::size_t unit_start = pos;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) ++pos;
    const std::string_view unit = text.substr(unit_start, pos - unit_start);
    if (unit.empty()) {
      const char* what = pos == text.size()                       ? "needs a unit, got "
                         : (text[pos] == '.' || text[pos] == ',') ? "must use whole numbers, got "
                                                                  : "is not a duration: ";
      return fail<R>(what + quoted(text) + std::string(hint));
    }
    std::size_t index = 0;
    while (index < duration_units.size() && duration_units[index].name != unit) ++index;
    if (index == duration_units.size())
      return fail<R>("has unknown unit \"" + std::string(unit) + "\" in " + quoted(text) +
                     std::string(hint));
    if (!first && index <= previous_unit)
      return fail<R>("must list units from largest to smallest, each once, got " + quoted(text));
    const std::uint64_t factor = duration_units[index].factor;
    if (*number > max_ms / factor || total > max_ms - *number * factor)
      return fail<R>("is too large: " + quoted(text));
    total += *number * factor;
    previous_unit = index;
    first = false;
  }
  return {R{static_cast<R::rep>(total)}, {}};
}

ParseResult<std::uint64_t> parse_size(std::string_view text) {
  constexpr std::string_view hint = " (use e.g. \"512\", \"64KiB\", \"1MiB\", \"1MB\")";
  if (text.empty())
    return fail<std::uint64_t>("must be a size, got an empty string" + std::string(hint));
  if (text.front() == '-') return fail<std::uint64_t>("must not be negative, got " + quoted(text));
  if (!is_digit(text.front()))
    return fail<std::uint64_t>("is not a size: " + quoted(text) + std::string(hint));
  std::size_t pos = 0;
  const auto number = read_number(text, pos);
  if (!number) return fail<std::uint64_t>("is too large: " + quoted(text));
  const std::string_view unit = text.substr(pos);
  for (const auto& u : size_units) {
    if (u.name != unit) continue;
    if (*number > std::numeric_limits<std::uint64_t>::max() / u.factor)
      return fail<std::uint64_t>("is too large: " + quoted(text));
    return {*number * u.factor, {}};
  }
  if (!unit.empty() && (unit.front() == '.' || unit.front() == ','))
    return fail<std::uint64_t>("must be a whole number, got " + quoted(text) + std::string(hint));
  return fail<std::uint64_t>("has unknown unit \"" + std::string(unit) + "\" in " + quoted(text) +
                             std::string(hint));
}

std::string format_duration(std::chrono::milliseconds duration) {
  auto remaining = static_cast<std::uint64_t>(duration.count() < 0 ? 0 : duration.count());
  if (remaining == 0) return "0s";
  std::string out;
  for (const auto& unit : duration_units) {
    if (remaining < unit.factor) continue;
    out += std::to_string(remaining / unit.factor) + std::string(unit.name);
    remaining %= unit.factor;
  }
  return out;
}

std::string format_size(std::uint64_t bytes) {
  constexpr std::array<std::pair<std::uint64_t, std::string_view>, 3> units{{
      {1ull << 30, "GiB"},
      {1ull << 20, "MiB"},
      {1ull << 10, "KiB"},
  }};
  for (const auto& [factor, name] : units)
    if (bytes != 0 && bytes % factor == 0)
      return std::to_string(bytes / factor) + std::string(name);
  return std::to_string(bytes);
}

}  // namespace gatehouse::config
