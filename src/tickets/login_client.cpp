#include "tickets/login_client.hpp"

#include "crypto/key_ring.hpp"

#include <openssl/crypto.h>

#include <string>

namespace gatehouse::tickets {
namespace {

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

}  // namespace

std::optional<LoginClient> sealed_login_client(const crypto::KeyRing& keys,
                                               std::string_view sealed_ticket,
                                               std::string_view key) {
  auto plaintext = keys.open(sealed_ticket, key);
  if (!plaintext) return std::nullopt;
  auto ticket = parse_ticket(*plaintext);
  wipe(*plaintext);
  if (!ticket) return std::nullopt;
  wipe(ticket->id_token);
  wipe(ticket->access_token);
  if (ticket->refresh_token) wipe(*ticket->refresh_token);
  for (auto& r : ticket->resource_tokens) wipe(r.access_token);
  return std::move(ticket->client);
}

}  // namespace gatehouse::tickets
