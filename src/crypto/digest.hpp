// Hashing, MACs and comparison of secrets.
#pragma once

#include <string>
#include <string_view>

namespace gatehouse::crypto {

// Raw 32-byte SHA-256 digest.
std::string sha256(std::string_view data);

// Raw 32-byte HMAC-SHA-256. Throws std::runtime_error only if OpenSSL itself fails.
std::string hmac_sha256(std::string_view key, std::string_view data);

// Compares secrets without a data-dependent early exit; only the lengths can leak.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace gatehouse::crypto
