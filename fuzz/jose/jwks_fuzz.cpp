// Hostile JWKS documents: parsing must never crash, and every key it keeps must be usable.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "jose/jwk.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto jwks = gatehouse::jose::parse_jwks(input);
  if (!jwks) return 0;
  if (jwks->size() > gatehouse::jose::kMaxJwksKeys) std::abort();
  for (const auto& key : jwks->keys()) {
    if (!key.key) std::abort();
    if (jwks->find(key.kid, key.type == gatehouse::jose::KeyType::rsa
                                ? gatehouse::jose::JwsAlg::rs256
                                : gatehouse::jose::JwsAlg::es256) == nullptr &&
        !key.kid.empty() && !key.alg)
      std::abort();
  }
  return 0;
}
