// Cryptographically secure randomness from the OpenSSL DRBG.
#pragma once

#include <cstddef>
#include <string>

namespace gatehouse::crypto {

// n random bytes; throws std::runtime_error when the RNG fails (never returns weak bytes).
std::string random_bytes(std::size_t n);

// base64url (unpadded) of `bytes` random bytes: cookie handles, PKCE verifiers, state, nonces.
std::string random_token(std::size_t bytes);

}  // namespace gatehouse::crypto
