// Hostile JWKS documents: parsing must never crash, and every key it keeps must be usable.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "jose/jwk.hpp"

namespace {

// An algorithm every kept key of this type must verify.
gatehouse::jose::JwsAlg alg_for(gatehouse::jose::KeyType type) {
  using gatehouse::jose::JwsAlg;
  using gatehouse::jose::KeyType;
  switch (type) {
    case KeyType::rsa:
      return JwsAlg::rs256;
    case KeyType::ec_p256:
      return JwsAlg::es256;
    case KeyType::ec_p384:
      return JwsAlg::es384;
    case KeyType::ec_p521:
      return JwsAlg::es512;
    case KeyType::ed25519:
      return JwsAlg::eddsa;
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto jwks = gatehouse::jose::parse_jwks(input);
  if (!jwks) return 0;
  if (jwks->size() > gatehouse::jose::kMaxJwksKeys) std::abort();
  for (const auto& key : jwks->keys()) {
    if (!key.key) std::abort();
    if (jwks->find(key.kid, alg_for(key.type)) == nullptr && !key.kid.empty() && !key.alg)
      std::abort();
  }
  return 0;
}
