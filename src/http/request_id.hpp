// The request id: the client's (or the load balancer's) X-Request-Id when it is safe to repeat
// in logs and headers, otherwise a fresh one. Pure; what the server sets as Request::request_id.
#pragma once

#include "http/message.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace gatehouse::http {

inline constexpr std::size_t kMaxRequestIdLength = 128;

// 1 to kMaxRequestIdLength visible ASCII characters (0x21-0x7e), no space.
bool sane_request_id(std::string_view id) noexcept;

// 32 lower-case hex digits (128 random bits; unique, not secret).
std::string new_request_id();

// The request's single sane X-Request-Id, else a new one.
std::string request_id_for(const Request& request);

}  // namespace gatehouse::http
