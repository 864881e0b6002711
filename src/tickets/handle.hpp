// The session cookie's value (a random 256-bit handle, 43 base64url characters) and the store key
// derived from it (the base64url SHA-256 of the handle, so a database dump yields no usable
// cookie). Pure functions, apart from the ticket store, so the bff_cookie fuzzer links them alone.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::tickets {

inline constexpr std::size_t kHandleBytes = 32;  // 256 bits
inline constexpr std::size_t kHandleChars = 43;  // base64url of 32 bytes, unpadded

// A fresh handle from the system's random source.
std::string new_handle();

// The store key for a cookie value, or nullopt when the value is not a well-formed handle.
std::optional<std::string> key_for_handle(std::string_view handle);

// The session id users and audit events see (GET /bff/sessions, DELETE /bff/sessions/{id}):
// derived from the store key, so it reveals neither the key nor the handle. 22 characters.
std::string public_session_id(std::string_view key);

}  // namespace gatehouse::tickets
