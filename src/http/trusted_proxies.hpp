// Who the client is when gatehouse runs behind reverse proxies or load balancers
// (`[server] trusted_proxies`): the socket's peer is then a proxy, and the client's address is in
// the X-Forwarded-For it appends to. Only proxies listed here are believed; anyone else can
// write any X-Forwarded-For, so for a peer not listed the peer is the client, whatever it sent.
//
// Walking X-Forwarded-For from the right (the entry the nearest proxy appended), each listed
// address is skipped; the first one not listed is the client. An entry that is not an IP address
// ends the walk at the proxy that passed it on. Every X-Forwarded-For field counts, in order (a
// proxy may add a field of its own instead of appending), at most the last 64 entries.
//
// Pure and thread-safe once built (const): one instance serves every io thread.
#pragma once

#include "http/message.hpp"

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::http {

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Each entry an IP address ("10.0.0.7", "2001:db8::1") or a network in CIDR form
  // ("10.0.0.0/8", "fd00::/8"; the host bits must be zero). Throws std::invalid_argument
  // naming the entry that is neither.
  explicit TrustedProxies(const std::vector<std::string>& entries);

  bool empty() const { return networks_.empty(); }
  // Whether `address` (an IP address as text; an IPv4-mapped IPv6 address counts as IPv4) is
  // one of the listed proxies. Anything that is not an address is not.
  bool contains(std::string_view address) const;

  // The client's address for a request from `peer` with these headers: `peer` itself unless it
  // is a listed proxy (see the top of this file). Addresses are returned in their canonical
  // form ("2001:db8::1", "10.0.0.1" for "::ffff:10.0.0.1").
  std::string client_address(std::string_view peer, const Fields& headers) const;

 private:
  struct Network {
    std::array<unsigned char, 16> bytes{};  // IPv4 in the first 4
    unsigned prefix = 0;                    // bits that must match
    bool v4 = false;
  };
  bool matches(const Network& address) const;

  std::vector<Network> networks_;
};

}  // namespace gatehouse::http
