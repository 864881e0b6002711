#include "jose/jose_error.hpp"

#include <string>

namespace gatehouse::jose {
namespace {

class JoseCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "gatehouse.jose"; }

  std::string message(int ev) const override {
    switch (static_cast<JoseErrc>(ev)) {
      case JoseErrc::malformed:
        return "malformed JOSE object";
      case JoseErrc::too_large:
        return "JOSE object exceeds a size limit";
      case JoseErrc::unsupported_alg:
        return "unsupported signature algorithm";
      case JoseErrc::alg_none:
        return "unsigned token (alg none)";
      case JoseErrc::unsupported_crit:
        return "unsupported critical header";
      case JoseErrc::key_not_found:
        return "no matching key in the JWKS";
      case JoseErrc::key_alg_mismatch:
        return "key does not fit the token's algorithm";
      case JoseErrc::bad_signature:
        return "signature verification failed";
      case JoseErrc::expired:
        return "token expired";
      case JoseErrc::not_yet_valid:
        return "token not yet valid";
      case JoseErrc::issued_in_future:
        return "token issued in the future";
      case JoseErrc::wrong_issuer:
        return "wrong issuer";
      case JoseErrc::wrong_audience:
        return "wrong audience";
      case JoseErrc::wrong_azp:
        return "wrong or missing authorized party";
      case JoseErrc::wrong_type:
        return "wrong token type";
      case JoseErrc::nonce_mismatch:
        return "nonce mismatch";
      case JoseErrc::missing_claim:
        return "required claim missing";
    }
    return "unknown JOSE error";
  }
};

}  // namespace

const boost::system::error_category& jose_category() noexcept {
  static const JoseCategory category;
  return category;
}

}  // namespace gatehouse::jose
