// The session ticket: what the gateway knows about a signed-in user. It is serialized to JSON
// and sealed with the key ring before it reaches the store, so a database dump holds no token.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::tickets {

// An access token for one resource indicator (RFC 8707), got with the session's refresh token.
struct ResourceToken {
  std::string resource;
  std::string access_token;
  std::string token_type = "Bearer";                    // or "DPoP"
  std::optional<std::int64_t> access_token_expires_at;  // unix seconds

  friend bool operator==(const ResourceToken&, const ResourceToken&) = default;
};

struct SessionTicket {
  boost::json::object claims;  // the ID token's claims
  std::string id_token;
  std::string access_token;
  std::optional<std::string> refresh_token;
  std::optional<std::int64_t> access_token_expires_at;  // unix seconds
  std::string token_type = "Bearer";                    // of access_token: "Bearer" or "DPoP"
  std::vector<ResourceToken> resource_tokens;           // one per resource, at most a few

  // The token for `resource` (the login's own token when none), or null.
  const ResourceToken* find_resource(std::string_view resource) const;

  friend bool operator==(const SessionTicket&, const SessionTicket&) = default;
};

std::string serialize_ticket(const SessionTicket& ticket);
// nullopt for anything that is not a ticket this version wrote (bounded depth and size).
std::optional<SessionTicket> parse_ticket(std::string_view json);

}  // namespace gatehouse::tickets
