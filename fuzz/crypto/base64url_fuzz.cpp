// base64url must be canonical: whatever decodes, re-encodes to exactly the same text, and every
// byte string survives encode then decode.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/base64.hpp"
#include "crypto/base64_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto decoded = gatehouse::crypto::base64url_decode(input);
  if (decoded && gatehouse::crypto::base64url_encode(*decoded) != input) std::abort();
  // The check without decoding accepts exactly what the decoder accepts, with its size.
  const auto checked = gatehouse::crypto::base64url_decoded_size(input);
  if (checked.has_value() != decoded.has_value() || (checked && *checked != decoded->size()))
    std::abort();
  const auto round_trip =
      gatehouse::crypto::base64url_decode(gatehouse::crypto::base64url_encode(input));
  if (!round_trip || *round_trip != input) std::abort();
  return 0;
}
