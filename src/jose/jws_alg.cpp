#include "jose/jws_alg.hpp"

#include <array>

namespace gatehouse::jose {
namespace {

struct AlgInfo {
  JwsAlg alg;
  std::string_view name;
  KeyType key_type;
  const char* digest;       // for the signature; nullptr: none (EdDSA)
  const char* token_hash;   // for at_hash
  std::size_t ecdsa_bytes;  // r || s
};

// In JwsAlg order: info() indexes by value.
constexpr std::array<AlgInfo, 10> kAlgs{{
    {JwsAlg::rs256, "RS256", KeyType::rsa, "SHA256", "SHA256", 0},
    {JwsAlg::rs384, "RS384", KeyType::rsa, "SHA384", "SHA384", 0},
    {JwsAlg::rs512, "RS512", KeyType::rsa, "SHA512", "SHA512", 0},
    {JwsAlg::ps256, "PS256", KeyType::rsa, "SHA256", "SHA256", 0},
    {JwsAlg::ps384, "PS384", KeyType::rsa, "SHA384", "SHA384", 0},
    {JwsAlg::ps512, "PS512", KeyType::rsa, "SHA512", "SHA512", 0},
    {JwsAlg::es256, "ES256", KeyType::ec_p256, "SHA256", "SHA256", 64},
    {JwsAlg::es384, "ES384", KeyType::ec_p384, "SHA384", "SHA384", 96},
    {JwsAlg::es512, "ES512", KeyType::ec_p521, "SHA512", "SHA512", 132},
    {JwsAlg::eddsa, "EdDSA", KeyType::ed25519, nullptr, "SHA512", 0},
}};

const AlgInfo& info(JwsAlg alg) {
  return kAlgs[static_cast<std::size_t>(alg)];
}

}  // namespace

std::optional<JwsAlg> parse_jws_alg(std::string_view name) {
  for (const auto& a : kAlgs)
    if (a.name == name) return a.alg;
  return std::nullopt;
}

std::string_view jws_alg_name(JwsAlg alg) {
  return info(alg).name;
}
KeyType key_type_for(JwsAlg alg) {
  return info(alg).key_type;
}
const char* digest_name(JwsAlg alg) {
  return info(alg).digest;
}
const char* token_hash_digest_name(JwsAlg alg) {
  return info(alg).token_hash;
}
std::size_t ecdsa_signature_bytes(JwsAlg alg) {
  return info(alg).ecdsa_bytes;
}

}  // namespace gatehouse::jose
