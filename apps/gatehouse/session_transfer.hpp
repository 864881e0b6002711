// gatehouse sessions export / import: moving live sessions between stores (JSON lines).
#pragma once

#include "config/config.hpp"

#include <optional>
#include <string>

namespace gatehouse::cli {

// Every session of the partition to `out_path` (created 0600, never over an existing file) or
// stdout; a header line, then a session per line; a progress line on a terminal.
int sessions_export(const config::Config& config, const std::optional<std::string>& out_path);

// The sessions of an export file (or stdin) into the configured store: existing keys are kept
// and counted, a malformed line stops the import naming its number.
int sessions_import(const config::Config& config, const std::optional<std::string>& in_path);

}  // namespace gatehouse::cli
