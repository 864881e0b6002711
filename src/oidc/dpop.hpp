// DPoP proofs (RFC 9449 4) signed with the gateway's DPoP key: for the token endpoint (the OIDC
// client) and for API calls with DPoP-bound access tokens (the proxy). Nonces are the caller's:
// each server hands out its own (RFC 9449 8, 9).
#pragma once

#include <gatehouse/session/clock.hpp>

#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::crypto {
class DpopKey;
}

namespace gatehouse::oidc {

// 128 random bits, base64url: RFC 9449 11.1 wants jti unguessable and unique.
inline constexpr std::size_t kDpopJtiBytes = 16;

class DpopProofs {
 public:
  // Throws std::invalid_argument when `key` is null. An empty clock means the system clock.
  explicit DpopProofs(std::shared_ptr<const crypto::DpopKey> key, Clock clock = {});

  // A proof for one request: header {"typ":"dpop+jwt","alg":"ES256","jwk":<public key>}, claims
  // jti (kDpopJtiBytes random), htm, htu (dpop_htu), iat (the clock, whole seconds), ath
  // (base64url SHA-256 of the access token) and nonce, each only when given. Safe from any
  // thread; throws std::runtime_error only if OpenSSL cannot sign.
  std::string proof(std::string_view htm, std::string_view htu,
                    std::optional<std::string_view> access_token = std::nullopt,
                    std::optional<std::string_view> nonce = std::nullopt) const;

  // RFC 7638 thumbprint of the public key: the "jkt" a bound token's cnf claim carries.
  const std::string& thumbprint() const { return thumbprint_; }
  const boost::json::object& public_jwk() const { return public_jwk_; }

 private:
  std::shared_ptr<const crypto::DpopKey> key_;
  Clock clock_;
  boost::json::object public_jwk_;
  std::string thumbprint_;
};

// The htu of a request to `url` (RFC 9449 4.2): the URI without its query and fragment.
std::string dpop_htu(std::string_view url);

// A DPoP-Nonce header value we may echo in a proof: 1*NQCHAR (RFC 9449 8.1), at most 1024
// characters. Anything else is ignored, so a server cannot inject into our JWTs.
bool valid_dpop_nonce(std::string_view nonce);

}  // namespace gatehouse::oidc
