// Compact JWS (RFC 7515) as used by JWTs: parsing with strict bounds, and signature checks.
#pragma once

#include <boost/json/object.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "jose/jose_error.hpp"
#include "jose/jwk.hpp"
#include "jose/jws_alg.hpp"

namespace gatehouse::jose {

inline constexpr std::size_t kMaxJwsBytes = 16 * 1024;

struct Jws {
  JwsAlg alg = JwsAlg::rs256;
  std::string kid;                 // empty when the header has none
  std::optional<std::string> typ;  // the header's "typ", when present
  boost::json::object header;
  boost::json::object payload;
  std::string signing_input;  // "<header b64>.<payload b64>", what the signature covers
  std::string signature;      // raw bytes (ES*: r || s of 64, 96 or 132 bytes)
};

// Exactly three strict-base64url parts, JSON object header and payload, at most 16 KiB.
// Errors: too_large, malformed, alg_none, unsupported_alg (HS*, unknown), unsupported_crit.
result<Jws> parse_jws(std::string_view token);

// Checks the signature with `key`: key_alg_mismatch when the key's type or own alg does not fit
// the token's alg (an RSA key never verifies ES256, a P-256 key never ES384, and so on), else
// bad_signature or ok.
result<void> verify(const Jws& jws, const Jwk& key);

}  // namespace gatehouse::jose
