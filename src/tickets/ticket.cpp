#include "tickets/ticket.hpp"

#include <algorithm>

#include "tickets/ticket_format.hpp"

namespace gatehouse::tickets {

const ResourceToken* SessionTicket::find_resource(std::string_view resource) const {
  for (const auto& t : resource_tokens)
    if (t.resource == resource) return &t;
  return nullptr;
}

ResourceToken& SessionTicket::resource_slot(std::string_view resource) {
  for (auto& t : resource_tokens)
    if (t.resource == resource) return t;
  if (resource_tokens.size() >= max_resource_tokens) {
    auto first = std::min_element(
        resource_tokens.begin(), resource_tokens.end(), [](const auto& a, const auto& b) {
          return a.access_token_expires_at.value_or(0) < b.access_token_expires_at.value_or(0);
        });
    resource_tokens.erase(first);
  }
  return resource_tokens.emplace_back(ResourceToken{std::string(resource), "", "Bearer", {}});
}

std::string serialize_ticket(const SessionTicket& ticket) {
  return serialize_ticket_v2(ticket);
}

std::optional<SessionTicket> parse_ticket(std::string_view plaintext) {
  if (plaintext.empty() || plaintext.size() > max_ticket_bytes) return std::nullopt;
  if (plaintext.front() == ticket_format_v2) return parse_ticket_v2(plaintext);
  return parse_ticket_v1(plaintext);
}

}  // namespace gatehouse::tickets
