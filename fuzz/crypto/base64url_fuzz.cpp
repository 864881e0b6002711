// base64url must be canonical: whatever decodes, re-encodes to exactly the same text, and every
// byte string survives encode then decode.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/base64.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto decoded = gatehouse::crypto::base64url_decode(input)) {
    if (gatehouse::crypto::base64url_encode(*decoded) != input) std::abort();
  }
  const auto round_trip =
      gatehouse::crypto::base64url_decode(gatehouse::crypto::base64url_encode(input));
  if (!round_trip || *round_trip != input) std::abort();
  return 0;
}
