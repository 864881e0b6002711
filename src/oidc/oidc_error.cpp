#include "oidc/oidc_error.hpp"

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <string>

namespace gatehouse::oidc {
namespace {

class OidcCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "gatehouse.oidc"; }
  std::string message(int ev) const override {
    switch (static_cast<OidcErrc>(ev)) {
      case OidcErrc::discovery_failed:
        return "OIDC discovery failed";
      case OidcErrc::issuer_mismatch:
        return "discovered issuer differs from the configured authority";
      case OidcErrc::jwks_failed:
        return "fetching the provider's JWKS failed";
      case OidcErrc::token_request_failed:
        return "token request failed";
      case OidcErrc::token_error_response:
        return "token endpoint returned an error";
      case OidcErrc::invalid_token_response:
        return "invalid token response";
      case OidcErrc::invalid_id_token:
        return "invalid ID token";
      case OidcErrc::not_ready:
        return "provider metadata not loaded";
      case OidcErrc::invalid_logout_token:
        return "invalid logout token";
      case OidcErrc::revocation_failed:
        return "token revocation failed";
    }
    return "unknown OIDC error";
  }
};

}  // namespace

const boost::system::error_category& oidc_category() noexcept {
  static const OidcCategory category;
  return category;
}

void throw_exception_from_error(const Failure& failure, const boost::source_location& location) {
  boost::throw_exception(boost::system::system_error(make_error_code(failure.code), failure.detail),
                         location);
}

}  // namespace gatehouse::oidc
