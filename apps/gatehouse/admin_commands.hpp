// Operator commands: list, revoke and clean up sessions in the configured store; rotate, retire
// and list keys.
#pragma once

#include "config/config.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace gatehouse::cli {

struct SessionSelection {
  std::optional<std::string> subject_id;
  std::optional<std::string> session_id;
  std::optional<std::size_t> limit;  // list: stop after this many sessions
  bool all_expired = false;
  std::string format = "table";  // table | json
};

// Each returns the process exit code and prints its own messages (errors to stderr).
int sessions_list(const config::Config& config, const SessionSelection& selection);
int sessions_revoke(const config::Config& config, const SessionSelection& selection);
int sessions_cleanup(const config::Config& config);
int keys_rotate(const config::Config& config);
// Removes a key that is not the active one: sessions sealed with it end. Exit 2 for the active
// key or an unknown kid.
int keys_retire(const config::Config& config, const std::string& kid);
// The key ids, their creation times and which one is active; never key material.
int keys_list(const config::Config& config);

}  // namespace gatehouse::cli
