// The signing side, for tokens the gateway itself issues (DPoP proofs, RFC 9449): compact JWS
// with ES256, a P-256 key's public JWK and its RFC 7638 thumbprint.
#pragma once

#include <openssl/types.h>

#include <boost/json/object.hpp>

#include <string>

#include "jose/jose_error.hpp"

namespace gatehouse::jose {

// header (with "alg":"ES256" set) . payload . r || s (64 bytes, RFC 7518 3.4), each base64url.
// Safe to call from many threads with one key. Throws std::invalid_argument when `key` is not a
// P-256 key, std::runtime_error when OpenSSL cannot sign (e.g. no private half).
std::string sign_es256(boost::json::object header, const boost::json::object& payload,
                       EVP_PKEY* key);

// {"kty":"EC","crv":"P-256","x":..,"y":..}: the public half only. Throws std::invalid_argument
// when `key` is not a P-256 key.
boost::json::object p256_public_jwk(EVP_PKEY* key);

// RFC 7638: base64url(SHA-256) of the required members (EC: crv kty x y; RSA: e kty n; OKP: crv
// kty x) in lexicographic order without whitespace. malformed when one is missing or not a
// string, or for another kty.
result<std::string> jwk_thumbprint(const boost::json::object& jwk);

}  // namespace gatehouse::jose
