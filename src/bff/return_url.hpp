// Open-redirect defence: where login and logout may send the browser afterwards.
#pragma once

#include <string_view>

namespace gatehouse::bff {

// True for a local path only: starts with one '/', not "//" or "/\" (which browsers treat as
// another host), no backslash, no control characters, bounded length.
bool is_local_return_url(std::string_view url) noexcept;

}  // namespace gatehouse::bff
