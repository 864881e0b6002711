#include "http/trusted_proxies.hpp"

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>

namespace gatehouse::http {
namespace {

namespace urls = boost::urls;

constexpr std::size_t kMaxForwardedEntries = 64;

// Without the optional white space around a list element.
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Parsed {
  std::array<unsigned char, 16> bytes{};
  bool v4 = false;
  std::string text;  // canonical
};

// An IP address as text; IPv4-mapped IPv6 addresses become IPv4.
std::optional<Parsed> parse_address(std::string_view text) {
  Parsed out;
  if (auto v4 = urls::parse_ipv4_address(text)) {
    const auto b = v4->to_bytes();
    std::copy(b.begin(), b.end(), out.bytes.begin());
    out.v4 = true;
    out.text = v4->to_string();
    return out;
  }
  auto v6 = urls::parse_ipv6_address(text);
  if (!v6) return std::nullopt;
  const auto b = v6->to_bytes();
  if (v6->is_v4_mapped()) {
    std::copy(b.begin() + 12, b.end(), out.bytes.begin());
    out.v4 = true;
    out.text =
        urls::ipv4_address(std::array<unsigned char, 4>{b[12], b[13], b[14], b[15]}).to_string();
    return out;
  }
  std::copy(b.begin(), b.end(), out.bytes.begin());
  out.text = v6->to_string();
  return out;
}

// One X-Forwarded-For entry: an address, an IPv6 address in brackets, either with a port
// (some proxies write "203.0.113.7:51234" or "[2001:db8::1]:443").
std::optional<Parsed> parse_forwarded_entry(std::string_view entry) {
  if (!entry.empty() && entry.front() == '[') {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const auto rest = entry.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
    auto parsed = parse_address(entry.substr(1, close - 1));
    if (!parsed || parsed->v4) return std::nullopt;
    return parsed;
  }
  if (auto plain = parse_address(entry)) return plain;
  // "a.b.c.d:port": exactly one colon, so never an IPv6 address.
  const auto colon = entry.find(':');
  if (colon == std::string_view::npos || entry.find(':', colon + 1) != std::string_view::npos)
    return std::nullopt;
  auto parsed = parse_address(entry.substr(0, colon));
  if (!parsed || !parsed->v4) return std::nullopt;
  return parsed;
}

bool prefix_equal(const std::array<unsigned char, 16>& a, const std::array<unsigned char, 16>& b,
                  unsigned prefix) {
  const unsigned whole = prefix / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) return false;
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

TrustedProxies::TrustedProxies(const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    const auto fail = [&entry](std::string_view why) {
      throw std::invalid_argument("\"" + entry + "\" " + std::string(why));
    };
    const auto slash = entry.find('/');
    const std::string_view address =
        std::string_view(entry).substr(0, slash == std::string::npos ? entry.size() : slash);
    const auto parsed = parse_address(address);
    if (!parsed)
      fail("is not an IP address or a network in CIDR form (\"10.0.0.0/8\", \"fd00::/8\")");
    Network n{parsed->bytes, parsed->v4 ? 32u : 128u, parsed->v4};
    if (slash != std::string::npos) {
      const std::string_view bits = std::string_view(entry).substr(slash + 1);
      unsigned prefix = 0;
      const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
      if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() ||
          prefix > n.prefix)
        fail(parsed->v4 ? "has a prefix length that is not 0 to 32"
                        : "has a prefix length that is not 0 to 128");
      Network masked = n;
      masked.prefix = prefix;
      for (unsigned bit = prefix; bit < n.prefix; ++bit)
        masked.bytes[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
      if (masked.bytes != n.bytes)
        fail("has host bits set after the prefix (write the network's first address)");
      n = masked;
    }
    networks_.push_back(n);
  }
}

bool TrustedProxies::matches(const Network& address) const {
  return std::any_of(networks_.begin(), networks_.end(), [&address](const Network& n) {
    return n.v4 == address.v4 && prefix_equal(n.bytes, address.bytes, n.prefix);
  });
}

bool TrustedProxies::contains(std::string_view address) const {
  const auto parsed = parse_address(address);
  return parsed && matches({parsed->bytes, 0, parsed->v4});
}

std::string TrustedProxies::client_address(std::string_view peer, const Fields& headers) const {
  if (networks_.empty()) return std::string(peer);
  const auto parsed_peer = parse_address(peer);
  if (!parsed_peer || !matches({parsed_peer->bytes, 0, parsed_peer->v4})) return std::string(peer);
  // Every entry of every X-Forwarded-For field, in order; only the last ones are looked at.
  std::vector<std::string_view> entries;
  for (const auto& [name, value] : headers) {
    if (!iequals(name, "X-Forwarded-For")) continue;
    std::string_view rest = value;
    while (true) {
      const auto comma = rest.find(',');
      entries.push_back(trim(rest.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  std::string client = parsed_peer->text;
  const std::size_t stop =
      entries.size() > kMaxForwardedEntries ? entries.size() - kMaxForwardedEntries : 0;
  for (std::size_t i = entries.size(); i-- > stop;) {
    if (entries[i].empty()) continue;  // "a, , b": an empty element of the list
    const auto hop = parse_forwarded_entry(entries[i]);
    if (!hop) break;  // not an address: believe nothing beyond the proxy that passed it on
    client = hop->text;
    if (!matches({hop->bytes, 0, hop->v4})) break;
  }
  return client;
}

}  // namespace gatehouse::http
