// The session ticket: what the gateway knows about a signed-in user. It is serialized (format v2:
// compact and compressed, see tickets/ticket_format.hpp) and sealed with the key ring before it
// reaches the store, so a database dump holds no token.
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

// The most resource tokens one ticket holds (every format refuses more).
inline constexpr std::size_t max_resource_tokens = 16;

// The browser a session was started from, recorded at login so people recognise their sessions
// in the lists. Kept inside the sealed ticket rather than in store columns: the address is
// personal data, useless at rest to whoever steals the database; no store's schema changes; and
// export/import carries it with the ticket.
struct LoginClient {
  std::string device;   // bff::summarize_user_agent() of the login's User-Agent
  std::string address;  // the address the login request came from

  friend bool operator==(const LoginClient&, const LoginClient&) = default;
};

// The longest device and address a ticket keeps (longer ones are cut when written).
inline constexpr std::size_t max_login_client_field = 64;

struct SessionTicket {
  boost::json::object claims;  // the ID token's claims
  std::string id_token;
  std::string access_token;
  std::optional<std::string> refresh_token;
  std::optional<std::int64_t> access_token_expires_at;  // unix seconds
  std::string token_type = "Bearer";                    // of access_token: "Bearer" or "DPoP"
  std::vector<ResourceToken> resource_tokens;           // one per resource, at most a few
  std::optional<LoginClient> client;  // none in tickets sealed before it was recorded

  // The token for `resource` (the login's own token when none), or null.
  const ResourceToken* find_resource(std::string_view resource) const;
  // The entry for `resource`, added when missing; with max_resource_tokens held already, the
  // one expiring first makes room (it is fetched again when next needed).
  ResourceToken& resource_slot(std::string_view resource);

  friend bool operator==(const SessionTicket&, const SessionTicket&) = default;
};

// Always the newest format (v2).
std::string serialize_ticket(const SessionTicket& ticket);
// Reads every format ever written (v1 JSON, v2); nullopt for anything else, never a crash
// (bounded size, JSON depth, number of resources, and output of decompression).
std::optional<SessionTicket> parse_ticket(std::string_view plaintext);

}  // namespace gatehouse::tickets
