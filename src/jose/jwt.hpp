// JWT validation: one implementation for every token we accept (ID tokens now, back-channel
// logout tokens later), parametrised by which claims are required, optional or forbidden.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "jose/jose_error.hpp"
#include "jose/jwk.hpp"
#include "jose/jws.hpp"

namespace gatehouse::jose {

enum class ClaimRule { required, optional, forbidden };

struct JwtCheck {
  std::string issuer;    // exact match on "iss"
  std::string audience;  // our client id: "aud" must contain it; "azp", if present, must equal it
  std::chrono::system_clock::time_point now;
  std::chrono::seconds max_skew{60};
  ClaimRule exp = ClaimRule::required;
  ClaimRule iat = ClaimRule::required;
  ClaimRule sub = ClaimRule::required;        // when present: a non-empty string
  ClaimRule nonce = ClaimRule::optional;      // forbidden for logout tokens (OIDC BCL 2.4)
  std::optional<std::string> expected_nonce;  // when set, "nonce" must be present and equal
  std::optional<std::string> typ;  // when set, the header's typ must match (RFC 7515 4.1.9)
  bool typ_required = true;        // false: a header without typ passes, a different one fails
};

// Verifies the signature with the JWKS key chosen by kid and alg, then the claims. Returns the
// claims. Errors are JoseErrc: key_not_found means the caller may refetch the JWKS once.
result<boost::json::object> validate_jwt(std::string_view token, const Jwks& jwks,
                                         const JwtCheck& check);
result<boost::json::object> validate_jwt(const Jws& jws, const Jwks& jwks, const JwtCheck& check);

struct IdTokenCheck {
  std::string issuer;
  std::string client_id;
  std::optional<std::string> nonce;  // the nonce sent in the authorization request
  std::chrono::system_clock::time_point now;
  std::chrono::seconds max_skew{60};
  // The access token issued with the ID token: when set and the ID token has at_hash, the two
  // must match (OIDC Core 3.1.3.6; at_hash stays optional in the code flow).
  std::optional<std::string> access_token;
};

// OIDC Core 3.1.3.7: signature, iss, aud/azp, exp, iat, nbf, nonce, sub, and at_hash (see
// IdTokenCheck::access_token): at_hash_mismatch, or malformed when it is not a string.
result<boost::json::object> validate_id_token(std::string_view token, const Jwks& jwks,
                                              const IdTokenCheck& check);

// at_hash / c_hash (OIDC Core 3.1.3.6): base64url of the left half of the token's hash, the hash
// being the one of the ID token's alg (SHA-512 for EdDSA).
std::string token_hash(JwsAlg alg, std::string_view token);

}  // namespace gatehouse::jose
