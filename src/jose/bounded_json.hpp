// Parsing JSON from outside: bounded size and nesting, objects only, member names unique.
#pragma once

#include <boost/json/object.hpp>

#include <cstddef>
#include <string_view>

#include "jose/jose_error.hpp"

namespace gatehouse::jose {

inline constexpr std::size_t kMaxJsonDepth = 16;

// The object, or too_large (size or depth) / malformed (invalid JSON, not an object, or an object
// at any depth naming a member twice). Boost.JSON alone keeps the last duplicate silently, while
// other parsers keep the first: a token whose two "sub" members two parsers read differently is
// a known attack (RFC 7515 4: reject such JWSs, or use only the last; RFC 8725 3.2 lists it).
// Names are compared after unescaping, so "sub" and "s\u0075b" are the same name.
result<boost::json::object> parse_json_object(std::string_view text, std::size_t max_bytes);

}  // namespace gatehouse::jose
