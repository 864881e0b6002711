// Test support: real keys generated with OpenSSL, their JWKs, and tokens signed with them.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <utility>

#include "crypto/openssl_ptr.hpp"

namespace gatehouse::jose::testing {

crypto::PkeyPtr generate_rsa(unsigned bits);
crypto::PkeyPtr generate_p256();
crypto::PkeyPtr generate_ec(const char* curve);  // "P-256", "P-384", "P-521"
crypto::PkeyPtr generate_ed25519();

// The public JWK of `key` as a JSON object ("alg" only when non-empty).
boost::json::object public_jwk(EVP_PKEY* key, std::string_view kid, std::string_view alg = {});

// header.payload.signature, signed with `key` using the JOSE algorithm `alg`
// (RS*, PS*, ES256/384/512, EdDSA). The header gets "alg" (and "kid" when non-empty) added.
std::string sign_jwt(boost::json::object header, const boost::json::object& payload, EVP_PKEY* key,
                     std::string_view alg, std::string_view kid);

// A 2048-bit RSA modulus (hex) made like Infineon RSALib's (CVE-2017-15361, ROCA): both primes
// are k * M + (65537^a mod M), M the product of the first 126 primes (make_roca_modulus.py).
extern const char* const kRsaLibModulusHex;
// Its public JWK (e = 65537, use sig): a key parse_jwks must skip.
boost::json::object rsalib_jwk(std::string_view kid);

// A token from raw parts, for hostile inputs.
std::string join_token(std::string_view header_json, std::string_view payload_json,
                       std::string_view signature);

}  // namespace gatehouse::jose::testing

namespace gatehouse::jose::testing {

// Generated once per test binary (RSA key generation is slow).
struct TestKeys {
  crypto::PkeyPtr rsa;             // kid "rsa-1", in jwks_json
  crypto::PkeyPtr rsa2;            // kid "rsa-2", not in jwks_json
  crypto::PkeyPtr ec;              // kid "ec-1" (P-256), in jwks_json
  crypto::PkeyPtr ec384;           // kid "ec384-1", in all_algs_jwks_json only
  crypto::PkeyPtr ec521;           // kid "ec521-1", in all_algs_jwks_json only
  crypto::PkeyPtr ed25519;         // kid "ed-1", in all_algs_jwks_json only
  std::string jwks_json;           // {"keys":[rsa-1, ec-1]}
  std::string all_algs_jwks_json;  // {"keys":[rsa-1, ec-1, ec384-1, ec521-1, ed-1]}

  // The key and kid of all_algs_jwks_json that signs `alg`.
  std::pair<EVP_PKEY*, const char*> for_alg(std::string_view alg) const;
};
const TestKeys& test_keys();

}  // namespace gatehouse::jose::testing
