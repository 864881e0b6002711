// Hostile compact JWS against a fixed JWKS: parse, then full ID token validation. Nothing may
// crash, and no mutation of the seeds may validate except the seeds themselves.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "jose/jwt.hpp"

namespace {
#include "fuzz_keys.inc"

const gatehouse::jose::Jwks& jwks() {
  static const auto keys = *gatehouse::jose::parse_jwks(kFuzzJwks);
  return keys;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (jwks().size() != 2) std::abort();
  gatehouse::jose::IdTokenCheck check;
  check.issuer = "https://idp.example";
  check.client_id = "gatehouse";
  check.nonce = "fuzz-nonce";
  check.now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  auto claims = gatehouse::jose::validate_id_token(input, jwks(), check);
  // A token that validates carries the claims the seeds were signed with.
  if (claims && claims->at("sub") != "alice") std::abort();
  return 0;
}
