// The JWS algorithms we accept. Deliberately no HS* (a shared secret with the IdP would let
// anyone holding it mint ID tokens, and is the root of the RSA-key-as-HMAC-secret confusion)
// and no "none".
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace gatehouse::jose {

enum class JwsAlg { rs256, rs384, rs512, ps256, ps384, ps512, es256, es384, es512, eddsa };

// Each ECDSA alg has its own curve (RFC 7518 3.4) and "EdDSA" here means Ed25519 only
// (RFC 8037; Ed448 keys are skipped), so a key's type decides which algs it can verify.
enum class KeyType { rsa, ec_p256, ec_p384, ec_p521, ed25519 };

// nullopt for anything not in the list above.
std::optional<JwsAlg> parse_jws_alg(std::string_view name);
std::string_view jws_alg_name(JwsAlg alg);
KeyType key_type_for(JwsAlg alg);
// OpenSSL digest name for the signature: "SHA256", ...; nullptr for EdDSA (the hash is part of
// the signature scheme, EVP_DigestVerify takes no digest).
const char* digest_name(JwsAlg alg);
// The hash behind at_hash / c_hash (OIDC Core 3.1.3.6): the signature's hash, and SHA-512 for
// EdDSA with Ed25519 (what OIDC providers and libraries use).
const char* token_hash_digest_name(JwsAlg alg);
// JOSE's fixed-size r || s (RFC 7518 3.4): 64, 96, 132 bytes; 0 for non-ECDSA algs.
std::size_t ecdsa_signature_bytes(JwsAlg alg);

}  // namespace gatehouse::jose
