// `[[api]]` routes: read from the file (each key converted like any setting, its location
// recorded for the rules that run later), their limits, and the names problems use.
#pragma once

#include "config/config.hpp"
#include "config/diagnostics.hpp"

#include <toml++/toml.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::config {

struct ApiRouteLimits {
  static constexpr std::size_t max_routes = 256;
  static constexpr std::size_t max_path_bytes = 256;
  static constexpr std::size_t max_claims = 32;
  static constexpr std::chrono::minutes max_timeout{10};
};

// "api[2].upstream": a route's key as problems name it (the index counts tables in the file).
std::string api_setting(std::size_t index, std::string_view key);

// The keys an `[[api]]` table may have, in the order describe() lists them.
const std::vector<std::string_view>& api_route_keys();

// `node` is the document's top-level `api`; appends one route per table to config.api, in file
// order (a table that is not one still takes its index, so later names stay right).
void read_api_routes(const toml::node& node, std::string_view source, Config& config,
                     Diagnostics& d);

}  // namespace gatehouse::config
