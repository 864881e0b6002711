// The ticket's serialized formats, behind serialize_ticket/parse_ticket (tickets/ticket.hpp).
//
// v1 (JSON, written until format v2): {"v":1,"claims":{..},"id_token":..,"access_token":..,
//   "refresh_token"?,"access_token_expires_at"?,"token_type"?,"resources"?:[{"resource",
//   "access_token","token_type"?,"access_token_expires_at"?}]}. Read only.
// v2: the byte 0x02, then the body below as raw DEFLATE with a fixed preset dictionary.
//   body   = flags:u8 [claims:json] id_token:token access_token:token [refresh_token:token]
//            [expires_at:zigzag] [token_type:str] count:varint (resource)*count
//            [device:str address:str]
//   resource = flags:u8 resource:str access_token:token [expires_at:zigzag] [token_type:str]
//   token  = 0 text:str | n:u8 (segment:str)*n  (n in 1..5: the token is its n '.'-separated
//            base64url segments, each stored decoded: a JWT's signature as raw bytes, its
//            header and payload as JSON text that compresses)
//   str    = length:varint bytes;  varint = unsigned LEB128, at most 10 bytes; zigzag = an
//            int64 as a varint;  json = a tagged tree (tickets/ticket_codec.hpp)
//   flags: 1 claims stored (else: the id_token's payload), 2 refresh token, 4 expires_at,
//          8 token_type (else "Bearer"), 16 login client (device and address, each at most
//          max_login_client_field bytes); a resource's flags use only 4 and 8. Other bits: invalid.
//          Flag 16 came later within v2: tickets without it still open (client: none), but a
//          gateway from before it refuses tickets that have it (mixed versions during a rolling
//          upgrade: a session started on a new instance is anonymous on an old one).
// A plaintext starting with 0x02 is v2, anything else must be v1 JSON.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "tickets/ticket.hpp"

namespace gatehouse::tickets {

inline constexpr char ticket_format_v2 = 0x02;
// Bounds every plaintext, and every v2 body once inflated.
inline constexpr std::size_t max_ticket_bytes = 256 * 1024;

std::optional<SessionTicket> parse_ticket_v1(std::string_view json);

// The v2 body, uncompressed (what the fuzzer and the size measurements look at).
std::string encode_ticket_v2_body(const SessionTicket& ticket);
std::optional<SessionTicket> decode_ticket_v2_body(std::string_view body);

// A whole v2 plaintext (0x02, then the compressed body), and its reader.
std::string serialize_ticket_v2(const SessionTicket& ticket);
std::optional<SessionTicket> parse_ticket_v2(std::string_view plaintext);

}  // namespace gatehouse::tickets
