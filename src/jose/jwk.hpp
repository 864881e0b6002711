// JSON Web Keys: the IdP's public signing keys, parsed from its JWKS document.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jose/jose_error.hpp"
#include "jose/jws_alg.hpp"

namespace gatehouse::jose {

inline constexpr std::size_t kMaxJwksBytes = 256 * 1024;
inline constexpr std::size_t kMaxJwksKeys = 64;

struct Jwk {
  std::string kid;            // empty when the JWK has none
  std::optional<JwsAlg> alg;  // the JWK's own "alg", when it pins one
  KeyType type = KeyType::rsa;
  std::shared_ptr<EVP_PKEY> key;  // public key; shared so a Jwks copies cheaply

  // The key's type fits alg's family and its own alg, if any, is alg.
  bool fits(JwsAlg token_alg) const;
};

// Why parse_jwks left a key out: most skips are expected (encryption keys, other key types), a
// ROCA key is a provider problem worth a warning.
enum class KeySkip {
  unusable,          // not for signatures, a kty/crv/alg we do not accept, invalid material
  roca_fingerprint,  // RSA modulus from Infineon's RSALib (CVE-2017-15361): factorable
};

struct SkippedKey {
  std::string kid;  // empty when the JWK has none (or a non-string one)
  KeySkip reason = KeySkip::unusable;
};

class Jwks {
 public:
  Jwks() = default;
  explicit Jwks(std::vector<Jwk> keys, std::vector<SkippedKey> skipped = {})
      : keys_(std::move(keys)), skipped_(std::move(skipped)) {}

  // The key to verify a token with this kid (empty: the header has none) and alg: a fitting key
  // with that kid, or without a kid the only fitting key when exactly one exists.
  const Jwk* find(std::string_view kid, JwsAlg alg) const;
  const Jwk* find(std::string_view kid, std::string_view alg) const;

  // Like find, but says why not: key_not_found (refetching the JWKS may help) or
  // key_alg_mismatch (a key with this kid exists, of another type or alg).
  result<const Jwk*> select(std::string_view kid, JwsAlg alg) const;

  const std::vector<Jwk>& keys() const { return keys_; }
  std::size_t size() const { return keys_.size(); }
  // The document's entries that were left out, in document order (the caller logs them).
  const std::vector<SkippedKey>& skipped() const { return skipped_; }

 private:
  std::vector<Jwk> keys_;
  std::vector<SkippedKey> skipped_;
};

// Parses a JWKS document. RSA keys need a 2048..8192-bit modulus without the ROCA fingerprint;
// EC keys (kty EC) must be points on P-256, P-384 or P-521 with coordinates of the curve's size;
// OKP keys must be Ed25519 (32-byte x). Keys we cannot use for verification (other kty or crv,
// use other than "sig", an alg we do not accept or that does not fit the key, invalid material)
// are skipped, not fatal: one exotic key published by the IdP must not lock every user out, and
// a skipped key can never verify anything. Errors: too_large (> 256 KiB, > 64 keys, nesting),
// malformed (not JSON, duplicate member names, no "keys" array).
result<Jwks> parse_jwks(std::string_view json);

}  // namespace gatehouse::jose
