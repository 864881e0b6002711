#include "http/client.hpp"

#include <string>

namespace gatehouse::http {

std::optional<std::string_view> ClientResponse::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

}  // namespace gatehouse::http
