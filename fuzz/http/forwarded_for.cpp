// [server] trusted_proxies and X-Forwarded-For (both untrusted: the list from a config file, the
// header from anyone). Input: the list (space separated) on the first line, the peer on the
// second, then one X-Forwarded-For field per line. Never crashes; a list entry is refused with
// std::invalid_argument or accepted; the client is the peer itself, or an address that is
// canonical (parses to itself) and was in the header; an unlisted peer is always the client.
#include "http/trusted_proxies.hpp"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

std::vector<std::string> split(std::string_view text, char by) {
  std::vector<std::string> out;
  while (true) {
    const auto at = text.find(by);
    out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto lines = split(input, '\n');
  if (lines.size() < 2) return 0;
  std::vector<std::string> entries;
  for (auto& entry : split(lines[0], ' '))
    if (!entry.empty()) entries.push_back(std::move(entry));
  std::optional<gatehouse::http::TrustedProxies> proxies;
  try {
    proxies.emplace(entries);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  const std::string& peer = lines[1];
  gatehouse::http::Fields headers;
  for (std::size_t i = 2; i < lines.size(); ++i) headers.emplace_back("X-Forwarded-For", lines[i]);
  const std::string client = proxies->client_address(peer, headers);
  if (!proxies->contains(peer)) {
    if (client != peer) std::abort();
    return 0;
  }
  // A listed peer: the client is an address, and asking again gives the same answer.
  if (client.empty() || proxies->client_address(peer, headers) != client) std::abort();
  gatehouse::http::TrustedProxies itself({client});
  if (!itself.contains(client)) std::abort();
  return 0;
}
