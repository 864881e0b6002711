// KeyRing::open on hostile envelopes must only ever return nullopt (a forged envelope opening
// would be a failure too), and sealing the input must round-trip.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/key_ring.hpp"

namespace {
#include "fuzz_key_ring.inc"

const gatehouse::crypto::KeyRing& ring() {
  static const auto r = gatehouse::crypto::KeyRing::from_json(kFuzzKeyRing, "fuzz key ring");
  return r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Seeds "valid" and "valid_empty" were sealed with this key and associated data "aad"; they are
  // the only inputs that may open. Anything the fuzzer derives from them must not.
  if (const auto opened = ring().open(input, "aad")) {
    if (*opened != "a session ticket" && !opened->empty()) std::abort();
  }
  if (ring().open(ring().seal(input, "aad"), "aad") != input) std::abort();
  return 0;
}
