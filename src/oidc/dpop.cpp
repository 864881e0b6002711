#include "oidc/dpop.hpp"

#include <stdexcept>
#include <utility>

#include "crypto/base64.hpp"
#include "crypto/digest.hpp"
#include "crypto/dpop_key.hpp"
#include "crypto/random.hpp"
#include "jose/jws_sign.hpp"

namespace gatehouse::oidc {
namespace {

constexpr std::size_t kMaxNonceBytes = 1024;

}  // namespace

DpopProofs::DpopProofs(std::shared_ptr<const crypto::DpopKey> key, Clock clock)
    : key_(std::move(key)), clock_(clock ? std::move(clock) : system_clock()) {
  if (!key_) throw std::invalid_argument("DpopProofs: no DPoP key");
  public_jwk_ = jose::p256_public_jwk(key_->pkey());
  thumbprint_ = jose::jwk_thumbprint(public_jwk_).value();
}

std::string DpopProofs::proof(std::string_view htm, std::string_view htu,
                              std::optional<std::string_view> access_token,
                              std::optional<std::string_view> nonce) const {
  const boost::json::object header{{"typ", "dpop+jwt"}, {"alg", "ES256"}, {"jwk", public_jwk_}};
  const auto iat =
      std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count();
  boost::json::object claims{{"jti", crypto::random_token(kDpopJtiBytes)},
                             {"htm", htm},
                             {"htu", dpop_htu(htu)},
                             {"iat", iat}};
  if (access_token) claims["ath"] = crypto::base64url_encode(crypto::sha256(*access_token));
  if (nonce) claims["nonce"] = *nonce;
  return jose::sign_es256(header, claims, key_->pkey());
}

std::string dpop_htu(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

bool valid_dpop_nonce(std::string_view nonce) {
  if (nonce.empty() || nonce.size() > kMaxNonceBytes) return false;
  for (const char c : nonce)
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return false;
  return true;
}

}  // namespace gatehouse::oidc
