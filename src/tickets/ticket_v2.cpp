// Format v2: a compact binary body, compressed; the layout is in tickets/ticket_format.hpp.
#include "crypto/base64.hpp"
#include "jose/jws.hpp"
#include "tickets/compression.hpp"
#include "tickets/ticket_codec.hpp"
#include "tickets/ticket_format.hpp"

#include <cstdint>
#include <vector>

namespace gatehouse::tickets {
namespace {

enum Flag : std::uint8_t {
  claims_stored = 1,
  has_refresh_token = 2,
  has_expires_at = 4,
  has_token_type = 8,
  has_login_client = 16,
};
constexpr std::uint8_t resource_flags = has_expires_at | has_token_type;
constexpr std::uint8_t ticket_flags =
    claims_stored | has_refresh_token | resource_flags | has_login_client;
constexpr std::size_t max_token_segments = 5;  // a JWE's

// Part of format v2: changing one byte makes every v2 ticket unreadable (that would be a v3).
// What the JWTs in a ticket share with every other login: JOSE headers, registered JWT, OIDC
// and RFC 9068 claim names. Deflate reaches the end of a dictionary cheapest.
constexpr std::string_view dictionary =
    R"("amr":["pwd","mfa"],"acr":"","auth_time":17,"nbf":17,"azp":"","at_hash":"","c_hash":"",)"
    R"("cnf":{"jkt":""},"given_name":"","family_name":"","picture":"https://","locale":"en",)"
    R"({"alg":"ES256","typ":"JWT"}{"alg":"PS256"}{"alg":"RS256","typ":"at+jwt","kid":")"
    R"({"jti":"","sub":"","iat":17,"exp":17,"scope":"openid profile email offline_access",)"
    R"("client_id":"","iss":"https://","aud":"",)"
    R"({"sub":"","name":"","preferred_username":"","email":"","email_verified":true,)"
    R"("nonce":"","sid":"","aud":"","exp":17,"iat":17,"iss":"https://)";

// The claims a ticket need not store: its ID token's payload. Decoding it again without checking
// the signature is sound: the token was verified at login or refresh (signature, issuer,
// audience, times, nonce) before it was sealed into this ticket, and the AES-GCM tag proves
// these are the bytes sealed then. Its expiry is no reason to drop them: they are what the user
// signed in with, exactly as format v1 kept them.
std::optional<boost::json::object> id_token_payload(std::string_view id_token) {
  auto jws = jose::parse_jws(id_token);
  if (!jws) return std::nullopt;
  return std::move(jws->payload);
}

// A token's '.'-separated segments, each base64url-decoded; empty when there are too many or
// one is not base64url. The decoder is strict (one spelling per byte string), so encoding the
// segments again gives back exactly this token.
std::vector<std::string> base64url_segments(std::string_view token) {
  std::vector<std::string> segments;
  for (std::size_t begin = 0;;) {
    if (segments.size() == max_token_segments) return {};
    const auto end = token.find('.', begin);
    auto decoded = crypto::base64url_decode(token.substr(begin, end - begin));
    if (!decoded) return {};
    segments.push_back(std::move(*decoded));
    if (end == std::string_view::npos) return segments;
    begin = end + 1;
  }
}

void write_token(TicketWriter& w, std::string_view t) {
  const auto segments = base64url_segments(t);
  w.byte(static_cast<std::uint8_t>(segments.size()));  // 0: the text as it is
  if (segments.empty()) w.str(t);
  for (const auto& s : segments) w.str(s);
}

std::optional<std::string> read_token(TicketReader& r) {
  const auto n = r.byte();
  if (!n || *n > max_token_segments) return std::nullopt;
  if (*n == 0) {
    const auto text = r.str();
    if (!text) return std::nullopt;
    return std::string(*text);
  }
  std::string t;
  for (std::uint8_t i = 0; i < *n; ++i) {
    const auto segment = r.str();
    if (!segment) return std::nullopt;
    if (i > 0) t += '.';
    t += crypto::base64url_encode(*segment);
  }
  return t;
}

std::uint8_t optional_flags(std::optional<std::int64_t> expires_at, std::string_view type) {
  return (expires_at ? has_expires_at : 0) | (type != "Bearer" ? has_token_type : 0);
}

void write_optionals(TicketWriter& w, std::uint8_t flags, std::optional<std::int64_t> expires_at,
                     std::string_view type) {
  if (flags & has_expires_at) w.zigzag(*expires_at);
  if (flags & has_token_type) w.str(type);
}

bool read_optionals(TicketReader& r, std::uint8_t flags, std::optional<std::int64_t>& expires_at,
                    std::string& type) {
  if (flags & has_expires_at) {
    expires_at = r.zigzag();
    if (!expires_at) return false;
  }
  if (flags & has_token_type) {
    const auto t = r.str();
    if (!t) return false;
    type = std::string(*t);
  }
  return true;
}

}  // namespace

std::string encode_ticket_v2_body(const SessionTicket& t) {
  const auto payload = id_token_payload(t.id_token);
  const bool store_claims = !payload || *payload != t.claims;
  const std::uint8_t flags =
      (store_claims ? claims_stored : 0) | (t.refresh_token ? has_refresh_token : 0) |
      optional_flags(t.access_token_expires_at, t.token_type) | (t.client ? has_login_client : 0);
  TicketWriter w;
  w.byte(flags);
  if (store_claims) w.json(t.claims);
  write_token(w, t.id_token);
  write_token(w, t.access_token);
  if (t.refresh_token) write_token(w, *t.refresh_token);
  write_optionals(w, flags, t.access_token_expires_at, t.token_type);
  w.varint(t.resource_tokens.size());
  for (const auto& resource : t.resource_tokens) {
    const auto rflags = optional_flags(resource.access_token_expires_at, resource.token_type);
    w.byte(rflags);
    w.str(resource.resource);
    write_token(w, resource.access_token);
    write_optionals(w, rflags, resource.access_token_expires_at, resource.token_type);
  }
  if (t.client) {
    w.str(std::string_view(t.client->device).substr(0, max_login_client_field));
    w.str(std::string_view(t.client->address).substr(0, max_login_client_field));
  }
  return w.take();
}

std::optional<SessionTicket> decode_ticket_v2_body(std::string_view body) {
  TicketReader r(body);
  const auto flags = r.byte();
  if (!flags || (*flags & ~ticket_flags)) return std::nullopt;
  SessionTicket t;
  if (*flags & claims_stored) {
    auto claims = r.json();
    if (!claims || !claims->is_object()) return std::nullopt;
    t.claims = std::move(claims->get_object());
  }
  auto id_token = read_token(r);
  auto access_token = read_token(r);
  if (!id_token || !access_token) return std::nullopt;
  t.id_token = std::move(*id_token);
  t.access_token = std::move(*access_token);
  if (*flags & has_refresh_token) {
    t.refresh_token = read_token(r);
    if (!t.refresh_token) return std::nullopt;
  }
  if (!read_optionals(r, *flags, t.access_token_expires_at, t.token_type)) return std::nullopt;
  const auto count = r.varint();
  if (!count || *count > max_resource_tokens) return std::nullopt;
  for (std::uint64_t i = 0; i < *count; ++i) {
    ResourceToken resource;
    const auto rflags = r.byte();
    if (!rflags || (*rflags & ~resource_flags)) return std::nullopt;
    const auto name = r.str();
    auto token = read_token(r);
    if (!name || !token) return std::nullopt;
    resource.resource = std::string(*name);
    resource.access_token = std::move(*token);
    if (!read_optionals(r, *rflags, resource.access_token_expires_at, resource.token_type))
      return std::nullopt;
    t.resource_tokens.push_back(std::move(resource));
  }
  if (*flags & has_login_client) {
    const auto device = r.str();
    const auto address = device ? r.str() : std::nullopt;
    if (!address || device->size() > max_login_client_field ||
        address->size() > max_login_client_field)
      return std::nullopt;
    t.client = LoginClient{std::string(*device), std::string(*address)};
  }
  if (!r.done()) return std::nullopt;
  if (!(*flags & claims_stored)) {
    auto claims = id_token_payload(t.id_token);
    if (!claims) return std::nullopt;
    t.claims = std::move(*claims);
  }
  return t;
}

std::string serialize_ticket_v2(const SessionTicket& ticket) {
  std::string plaintext(1, ticket_format_v2);
  plaintext += deflate_raw(encode_ticket_v2_body(ticket), dictionary);
  return plaintext;
}

std::optional<SessionTicket> parse_ticket_v2(std::string_view plaintext) {
  if (plaintext.empty() || plaintext.front() != ticket_format_v2) return std::nullopt;
  const auto body = inflate_raw(plaintext.substr(1), dictionary, max_ticket_bytes);
  if (!body) return std::nullopt;
  return decode_ticket_v2_body(*body);
}

}  // namespace gatehouse::tickets
