// Test support: real keys generated with OpenSSL, their JWKs, and tokens signed with them.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

#include "crypto/openssl_ptr.hpp"

namespace gatehouse::jose::testing {

crypto::PkeyPtr generate_rsa(unsigned bits);
crypto::PkeyPtr generate_p256();

// The public JWK of `key` as a JSON object ("alg" only when non-empty).
boost::json::object public_jwk(EVP_PKEY* key, std::string_view kid, std::string_view alg = {});

// header.payload.signature, signed with `key` using the JOSE algorithm `alg`
// (RS*, PS*, ES256). The header gets "alg" (and "kid" when non-empty) added.
std::string sign_jwt(boost::json::object header, const boost::json::object& payload, EVP_PKEY* key,
                     std::string_view alg, std::string_view kid);

// A token from raw parts, for hostile inputs.
std::string join_token(std::string_view header_json, std::string_view payload_json,
                       std::string_view signature);

}  // namespace gatehouse::jose::testing

namespace gatehouse::jose::testing {

// Generated once per test binary (RSA key generation is slow).
struct TestKeys {
  crypto::PkeyPtr rsa;    // kid "rsa-1", in jwks_json
  crypto::PkeyPtr rsa2;   // kid "rsa-2", not in jwks_json
  crypto::PkeyPtr ec;     // kid "ec-1", in jwks_json
  std::string jwks_json;  // {"keys":[rsa-1, ec-1]}
};
const TestKeys& test_keys();

}  // namespace gatehouse::jose::testing
