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

class Jwks {
 public:
  Jwks() = default;
  explicit Jwks(std::vector<Jwk> keys) : keys_(std::move(keys)) {}

  // The key to verify a token with this kid (empty: the header has none) and alg: a fitting key
  // with that kid, or without a kid the only fitting key when exactly one exists.
  const Jwk* find(std::string_view kid, JwsAlg alg) const;
  const Jwk* find(std::string_view kid, std::string_view alg) const;

  // Like find, but says why not: key_not_found (refetching the JWKS may help) or
  // key_alg_mismatch (a key with this kid exists, of another type or alg).
  result<const Jwk*> select(std::string_view kid, JwsAlg alg) const;

  const std::vector<Jwk>& keys() const { return keys_; }
  std::size_t size() const { return keys_.size(); }

 private:
  std::vector<Jwk> keys_;
};

// Parses a JWKS document. RSA keys need a 2048..8192-bit modulus; EC keys must be P-256 points on
// the curve. Keys we cannot use for verification (other kty or crv, use other than "sig", an alg
// we do not accept, invalid material) are skipped, not fatal: one exotic key published by the
// IdP must not lock every user out, and a skipped key can never verify anything.
// Errors: too_large (> 256 KiB, > 64 keys, nesting), malformed (not JSON, no "keys" array).
result<Jwks> parse_jwks(std::string_view json);

}  // namespace gatehouse::jose
