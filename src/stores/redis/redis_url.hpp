// Internal: the Redis store's URL, parsed strictly. It is operator input and may carry a
// password: nothing here ever puts the password (or the userinfo) into a message.
//
//   redis://[[user]:password@]host[:port][/db]
//   rediss://…                                  (TLS: parsed, refused by the store, see README)
//   redis+cluster://[[user]:password@]host[:port],host[:port],…   (seed nodes; db 0 only)
//
// Percent-escapes are decoded in the user and the password (write '@' as %40, ':' in a user as
// %3A). Hosts are DNS names, IPv4 addresses or bracketed IPv6 addresses; the port defaults to
// 6379. Query strings, fragments, zones and anything else are refused rather than ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::redis {

struct Endpoint {
  std::string host;  // a DNS name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 6379;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// "host:port", "[::1]:port": how an endpoint is named in messages and in the node table.
std::string to_string(const Endpoint& endpoint);

enum class Scheme { plain, tls, cluster };

struct RedisUrl {
  Scheme scheme = Scheme::plain;
  std::vector<Endpoint> endpoints;  // exactly one, or a cluster's seed nodes
  std::string user;                 // ACL user; empty: the default user
  std::string password;             // empty: no AUTH
  int database = 0;
};

struct UrlLimits {
  static constexpr std::size_t max_url = 4096;
  static constexpr std::size_t max_seeds = 16;
  static constexpr std::size_t max_user = 256;
  static constexpr std::size_t max_password = 1024;
  static constexpr std::size_t max_host = 253;
  static constexpr int max_database = 9999;
};

struct UrlParse {
  std::optional<RedisUrl> url;
  std::string error;  // when !url: what is wrong, naming no secret
};

UrlParse parse_redis_url(std::string_view text);

}  // namespace gatehouse::redis
