// Base64 codecs. base64url is what JOSE and our cookies use; its decoder is strict on purpose:
// one token must have exactly one spelling, so a tampered-but-equivalent encoding (padding,
// whitespace, non-zero trailing bits) can never slip past a signature or a cache key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::crypto {

// RFC 4648 section 5 alphabet, without padding.
std::string base64url_encode(std::string_view bytes);

// Decodes unpadded base64url. nullopt on '=', '+', '/', whitespace or any other character
// outside the alphabet, on a length of 4k+1, and on non-zero unused bits in the last character.
std::optional<std::string> base64url_decode(std::string_view text);

// RFC 4648 section 4 (standard alphabet, padded), e.g. for HTTP Basic authentication.
std::string base64_encode(std::string_view bytes);

}  // namespace gatehouse::crypto
