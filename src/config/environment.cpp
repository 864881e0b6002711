#include "config/config.hpp"

#include <string_view>

extern char** environ;  // POSIX; not declared by any standard header

namespace gatehouse::config {

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos || !text.starts_with("GATEHOUSE_")) continue;
    env.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return env;
}

}  // namespace gatehouse::config
