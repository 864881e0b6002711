// Shared by the config tests: a minimal valid file and helpers to inspect problems.
#pragma once

#include "config/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::config::testing {

// The four required settings and nothing else.
inline constexpr std::string_view minimal_toml = R"(
[server]
public_origin = "https://app.example.com"

[oidc]
authority = "https://login.example.com/realms/app"
client_id = "gatehouse"
client_secret = "s3cr3t-value"
)";

inline std::string all_problems(const std::vector<Problem>& problems) {
  std::string out;
  for (const auto& p : problems) out += p.to_string() + "\n";
  return out;
}

// Loads `toml` and expects success; the config (or a default one, after a test failure).
inline Config load_ok(std::string_view toml, const Environment& env = {}) {
  auto result = load_config_from_string(toml, env, "test.toml");
  EXPECT_TRUE(result.ok()) << all_problems(result.errors);
  return result.config.value_or(Config{});
}

// The single error the input produces, as text (empty, with a test failure, otherwise).
inline std::string single_error(std::string_view toml, const Environment& env = {}) {
  auto result = load_config_from_string(toml, env, "test.toml");
  EXPECT_EQ(result.errors.size(), 1u) << all_problems(result.errors);
  return result.errors.empty() ? std::string{} : result.errors.front().to_string();
}

// The minimal file with `extra` appended as more lines of `[section]`.
inline std::string with(std::string_view section, std::string_view extra) {
  std::string out(minimal_toml);
  const std::string header = "[" + std::string(section) + "]\n";
  if (const auto at = out.find(header); at != std::string::npos)
    out.insert(at + header.size(), std::string(extra) + "\n");
  else
    out += "\n" + header + std::string(extra) + "\n";
  return out;
}

// The minimal file followed by `tables` (typically `[[api]]` tables), which start on line 10.
inline std::string with_routes(std::string_view tables) {
  return std::string(minimal_toml) + "\n" + std::string(tables);
}

// One `[[api]]` table with the two required keys and `extra` lines, as with_routes() wants it.
inline std::string route(std::string_view path, std::string_view upstream,
                         std::string_view extra = {}) {
  std::string out = "[[api]]\npath = \"" + std::string(path) + "\"\nupstream = \"" +
                    std::string(upstream) + "\"\n";
  if (!extra.empty()) out += std::string(extra) + "\n";
  return out;
}

}  // namespace gatehouse::config::testing
