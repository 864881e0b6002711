// Arbitrary bytes as what a Redis server answers (RESP through hiredis's reader), then through
// everything the store does with a reply: a session's hash, the query and listing scripts'
// pairs, the reporting cleanup's rows, CLUSTER SLOTS, MOVED/ASK. Never a crash; decoded sessions
// are whole.
#include "stores/redis/redis_layout.hpp"
#include "stores/redis/redis_reply.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gatehouse::redis;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto replies = parse_replies(bytes);
  if (!replies) return 0;
  for (const auto& reply : *replies) {
    if (auto session = decode_session("k", reply, "app"); session && *session) {
      if ((*session)->version == 0 || (*session)->subject_id.size() > size) std::abort();
    }
    if (auto sessions = decode_sessions(reply, "app")) {
      for (const auto& s : *sessions)
        if (s.version == 0 || s.partition_key != "app") std::abort();
    }
    if (auto removed = decode_expired(reply)) {
      for (const auto& s : *removed)
        if (s.key.size() > size || !s.expires || (s.session_id && s.session_id->empty()))
          std::abort();
    }
    if (auto table = parse_cluster_slots(reply, "seed")) {
      for (const auto& range : *table)
        if (range.first > range.last || range.last >= slot_count || range.master.port == 0 ||
            range.master.host.empty())
          std::abort();
    }
    if (reply.is_error()) {
      if (auto redirect = parse_redirect(reply.text))
        if (redirect->slot >= slot_count || redirect->endpoint.port == 0) std::abort();
    }
    (void)key_slot(reply.text);
  }
  return 0;
}
