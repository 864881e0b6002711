#include "jose/jws_alg.hpp"

#include <array>

namespace gatehouse::jose {
namespace {

struct AlgInfo {
  JwsAlg alg;
  std::string_view name;
  KeyType key_type;
  const char* digest;
};

constexpr std::array<AlgInfo, 7> kAlgs{{
    {JwsAlg::rs256, "RS256", KeyType::rsa, "SHA256"},
    {JwsAlg::rs384, "RS384", KeyType::rsa, "SHA384"},
    {JwsAlg::rs512, "RS512", KeyType::rsa, "SHA512"},
    {JwsAlg::ps256, "PS256", KeyType::rsa, "SHA256"},
    {JwsAlg::ps384, "PS384", KeyType::rsa, "SHA384"},
    {JwsAlg::ps512, "PS512", KeyType::rsa, "SHA512"},
    {JwsAlg::es256, "ES256", KeyType::ec_p256, "SHA256"},
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

}  // namespace gatehouse::jose
