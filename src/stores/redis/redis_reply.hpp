// Internal: Redis replies as values, and the pure functions over what a Redis server sends back
// (redirections, the cluster's slot table) and over keys (hash slots). Coroutine-free, so the
// fuzzers link it; hiredis parses the RESP bytes, everything after that is ours.
#pragma once

#include "stores/redis/redis_url.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;
struct redisReader;

namespace gatehouse::redis {

struct Reply {
  enum class Type { nil, string, status, error, integer, array };
  Type type = Type::nil;
  std::string text;  // string, status and error replies
  long long integer = 0;
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::error; }
  // An error reply whose first word is `code` ("NOSCRIPT", "MOVED", ...).
  bool is_error(std::string_view code) const;
};

// A whole decimal number (no sign for unsigned T, no blanks, nothing after it), or nullopt.
template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Copies hiredis's reply tree (hiredis frees its own when the callback returns).
Reply copy_reply(const redisReply& reply);

// Makes `reader` build Reply values as it parses, instead of hiredis's reply tree: one copy of
// the bytes, no second tree. Its replies (what a callback gets) are then for take_reply_value()
// only; hiredis still frees them.
void build_reply_values(redisReader& reader);
Reply take_reply_value(void* reply);

// Every complete reply in `bytes`, through hiredis's RESP reader; nullopt on a protocol error.
// (Tests and the fuzzer; the engine gets its replies from hiredis's async context.)
std::optional<std::vector<Reply>> parse_replies(std::string_view bytes);

// The cluster's hash slot of a key: CRC16 (XMODEM) of the key, or of its hash tag (the bytes
// between the first '{' and the next '}', when there is at least one), modulo 16384.
inline constexpr std::uint16_t slot_count = 16384;
std::uint16_t key_slot(std::string_view key);

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381". An empty host (the node does not
// know its own address) is left empty: the caller substitutes the node it asked.
struct Redirect {
  enum class Kind { moved, ask };
  Kind kind = Kind::moved;
  std::uint16_t slot = 0;
  Endpoint endpoint;
};
std::optional<Redirect> parse_redirect(std::string_view error);

// One line of CLUSTER SLOTS: slots first..last are served by `master`.
struct SlotRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  Endpoint master;
};
// The slot table from a CLUSTER SLOTS reply; `asked` stands in for nodes that report no address.
// nullopt when the reply is not a well-formed table.
std::optional<std::vector<SlotRange>> parse_cluster_slots(const Reply& reply,
                                                          const std::string& asked);

}  // namespace gatehouse::redis
