// TOML nodes → setting values and the words problems are told in; shared by the loader and the
// `[[api]]` reader, so a route's key reads and fails the way every other setting does.
#pragma once

#include "config/schema.hpp"

#include <toml++/toml.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::config {

// "file.toml:4:13".
std::string location_of(const toml::source_region& region, std::string_view source_name);

// "a string", "an integer", "a table", ...: what a message says the user wrote.
std::string_view type_name(const toml::node& node);

// `node` converted to `setting`'s kind, or why not ("must be a duration string ..., got ...").
ParseResult<Value> value_from_toml(const Setting& setting, const toml::node& node);

// " — did you mean X?" for the candidate closest to `wrong`, or "" when none is close.
std::string suggestion(std::string_view wrong, const std::vector<std::string>& candidates);

// A key as a message shows it: bare-key-shaped ones verbatim, anything else quoted and cut.
std::string printable(std::string_view key);

using Entries = std::vector<std::pair<const toml::key*, const toml::node*>>;

// toml++ iterates keys alphabetically; problems read better in file order.
Entries in_file_order(const toml::table& table);

}  // namespace gatehouse::config
