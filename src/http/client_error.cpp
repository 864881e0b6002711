#include "http/client.hpp"

#include <string>

namespace gatehouse::http {
namespace {

class ClientCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "gatehouse.http_client"; }

  std::string message(int ev) const override {
    switch (static_cast<ClientErrc>(ev)) {
      case ClientErrc::bad_url:
        return "not an absolute http or https URL";
      case ClientErrc::resolve_failed:
        return "host name could not be resolved";
      case ClientErrc::connect_failed:
        return "connection failed";
      case ClientErrc::tls_failed:
        return "TLS handshake or certificate verification failed";
      case ClientErrc::timeout:
        return "request timed out";
      case ClientErrc::too_large:
        return "response too large";
      case ClientErrc::bad_response:
        return "malformed HTTP response";
      case ClientErrc::io_error:
        return "connection failed during the exchange";
      case ClientErrc::cancelled:
        return "request cancelled";
    }
    return "unknown http client error";
  }
};

}  // namespace

const boost::system::error_category& client_category() noexcept {
  static const ClientCategory category;
  return category;
}

std::optional<std::string_view> ClientResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

}  // namespace gatehouse::http
