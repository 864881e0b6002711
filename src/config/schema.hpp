// The list of settings: one entry per `section.key`, shared by the file loader, the environment
// overlay, describe() and the docs test, so a new setting cannot be half-wired.
#pragma once

#include "config/config.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gatehouse::config {

enum class Kind {
  string,
  path,
  optional_path,
  duration,
  size,
  integer,
  boolean,
  string_list,
  choice
};

// A value already converted to its setting's kind (choices are still their text).
using Value = std::variant<std::string, std::int64_t, std::uint64_t, bool, std::vector<std::string>,
                           std::chrono::milliseconds>;

struct Setting {
  std::string_view section;
  std::string_view key;
  Kind kind = Kind::string;
  bool required = false;
  bool secret = false;                    // never echoed; describe() prints "***"
  std::vector<std::string_view> choices;  // the accepted words of a Kind::choice
  std::function<void(Config&, Value)> assign;
  // The TOML literal of the current value; nullopt when an optional setting is unset.
  std::function<std::optional<std::string>(const Config&)> render;

  std::string name() const;     // "server.listen"
  std::string env_var() const;  // "GATEHOUSE_SERVER_LISTEN"
};

// In the order the docs and describe() list them.
const std::vector<Setting>& all_settings();
const std::vector<std::string_view>& all_sections();

const Setting* find_setting(std::string_view section, std::string_view key);
const Setting* find_setting_by_env(std::string_view env_var);

// Text as written in a TOML string or an environment variable, for the text-like kinds
// (string, path, duration, size, choice).
ParseResult<Value> value_from_text(const Setting& setting, std::string_view text);

// An environment variable's text for any kind: integers in decimal, booleans
// true/false/1/0, arrays comma-separated.
ParseResult<Value> value_from_env(const Setting& setting, std::string_view text);

// What a kind expects, for "must be ..." messages: "a duration string", "an array of strings".
std::string_view kind_description(Kind kind);

}  // namespace gatehouse::config
