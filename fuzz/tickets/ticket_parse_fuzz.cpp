// Hostile ticket plaintexts (as if a key had opened them) must give nullopt or a ticket, never a
// crash, and every ticket must be written (as v2) and read back unchanged. The first byte picks
// the door: even, the rest is a whole plaintext (v1 JSON, or v2 compressed); odd, the rest is a
// v2 body before compression, so mutations reach the body's decoder without passing DEFLATE.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tickets/ticket.hpp"
#include "tickets/ticket_format.hpp"

using namespace gatehouse::tickets;

namespace {

// Boost.JSON 1.81 reads "0e999" as NaN; JSON has no NaN, so a ticket stores it as null.
void nan_to_null(boost::json::value& v) {
  if (v.is_double() && std::isnan(v.get_double())) v = nullptr;
  if (auto* a = v.if_array())
    for (auto& item : *a) nan_to_null(item);
  if (auto* o = v.if_object())
    for (auto& member : *o) nan_to_null(member.value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto ticket = data[0] & 1 ? decode_ticket_v2_body(input) : parse_ticket(input);
  if (!ticket) return 0;
  const auto back = parse_ticket(serialize_ticket(*ticket));
  if (!back) std::abort();
  auto expected = *ticket;
  for (auto& claim : expected.claims) nan_to_null(claim.value());
  if (*back != expected) std::abort();
  if (decode_ticket_v2_body(encode_ticket_v2_body(*ticket)) != back) std::abort();
  return 0;
}
