// load_config_from_string over arbitrary bytes: every input must end in a Config or a list of
// problems — no crash, no exception, no sanitizer report. The environment is fixed so the
// semantic checks behind the syntax layer get reached too.
#include "config/config.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const gatehouse::config::Environment env{{"GATEHOUSE_OIDC_CLIENT_SECRET", "fuzz"}};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto result = gatehouse::config::load_config_from_string(text, env, "fuzz.toml");
    // Invariants every caller relies on.
    if (result.ok() != result.errors.empty()) std::abort();
    for (const auto& problem : result.errors) (void)problem.to_string();
    if (result.config) (void)gatehouse::config::describe(*result.config);
  } catch (...) {
    std::abort();  // an exception escaping the loader is a bug
  }
  return 0;
}
