// Small text helpers shared by the parsers, the loader and describe().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::config {

// A value echoed in an error message: TOML-quoted, control characters escaped, and cut short
// so a stray binary blob cannot flood the log.
std::string quote_for_message(std::string_view text, std::size_t max_length = 80);

// A TOML basic string literal (with quotes) for any UTF-8 text.
std::string toml_string(std::string_view text);

// A TOML array of basic strings: ["a", "b"].
std::string toml_string_array(const std::vector<std::string>& items);

// A TOML key: bare when it may be (letters, digits, "_" and "-"), a basic string otherwise.
std::string toml_key(std::string_view key);

// RFC 6749 scope-token: visible ASCII except space, '"' and '\'.
bool is_scope_token(std::string_view scope);

// Levenshtein distance, ignoring ASCII case: the basis of "did you mean ...?".
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace gatehouse::config
