// Finding one cookie of a request without listing them all (kept apart from message.hpp, which
// most of the tree includes).
#pragma once

#include "http/message.hpp"

#include <optional>
#include <string_view>

namespace gatehouse::http {

// The first cookie of that name, as Request::cookies() would list it (views into the request's
// headers); nothing allocated.
std::optional<std::string_view> find_cookie_value(const Request& request, std::string_view name);

}  // namespace gatehouse::http
