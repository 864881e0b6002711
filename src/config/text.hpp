// Small text helpers shared by the parsers, the loader and describe().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gatehouse::config {

// A value echoed in an error message: TOML-quoted, control characters escaped, and cut short
// so a stray binary blob cannot flood the log.
std::string quote_for_message(std::string_view text, std::size_t max_length = 80);

// A TOML basic string literal (with quotes) for any UTF-8 text.
std::string toml_string(std::string_view text);

// Levenshtein distance, ignoring ASCII case: the basis of "did you mean ...?".
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace gatehouse::config
