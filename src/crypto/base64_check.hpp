// Checking base64url without decoding it (kept apart from base64.hpp, which most of the tree
// includes, so that adding to it rebuilds little).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace gatehouse::crypto {

// What base64url_decode would accept, without decoding: the decoded size, or nullopt exactly
// when base64url_decode returns nullopt. No allocation (for checks on the request path).
std::optional<std::size_t> base64url_decoded_size(std::string_view text);

}  // namespace gatehouse::crypto
