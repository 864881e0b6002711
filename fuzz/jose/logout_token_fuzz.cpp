// Hostile back-channel logout tokens against a fixed JWKS: parse, signature, then every logout
// token rule. Nothing may crash, and only the signed seeds may validate.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "oidc/logout_token.hpp"

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
  auto jws = gatehouse::jose::parse_jws(input);
  if (!jws) return 0;
  gatehouse::oidc::LogoutTokenCheck check;
  check.issuer = "https://idp.example";
  check.client_id = "gatehouse";
  check.now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  auto token = gatehouse::oidc::validate_logout_token(*jws, jwks(), check);
  // A token that validates is one of the seeds: it names alice and/or the seeds' sid.
  if (token && token->subject != "alice" && token->session_id != "fuzz-sid") std::abort();
  if (token && token->jti != "fuzz-jti") std::abort();
  return 0;
}
