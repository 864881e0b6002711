// Parsing JSON from outside: bounded size and nesting, objects only.
#pragma once

#include <boost/json/object.hpp>

#include <cstddef>
#include <string_view>

#include "jose/jose_error.hpp"

namespace gatehouse::jose {

inline constexpr std::size_t kMaxJsonDepth = 16;

// The object, or too_large (size or depth) / malformed (invalid JSON, not an object).
result<boost::json::object> parse_json_object(std::string_view text, std::size_t max_bytes);

}  // namespace gatehouse::jose
