// The JWS algorithms we accept. Deliberately no HS* (a shared secret with the IdP would let
// anyone holding it mint ID tokens, and is the root of the RSA-key-as-HMAC-secret confusion)
// and no "none".
#pragma once

#include <optional>
#include <string_view>

namespace gatehouse::jose {

enum class JwsAlg { rs256, rs384, rs512, ps256, ps384, ps512, es256 };

enum class KeyType { rsa, ec_p256 };

// nullopt for anything not in the list above.
std::optional<JwsAlg> parse_jws_alg(std::string_view name);
std::string_view jws_alg_name(JwsAlg alg);
KeyType key_type_for(JwsAlg alg);
const char* digest_name(JwsAlg alg);  // OpenSSL digest name: "SHA256", ...

}  // namespace gatehouse::jose
