// Internal: where the Redis store keeps a partition's sessions, and how a session is written into
// and read back from a Redis hash. Coroutine-free (the reply fuzzer decodes sessions with it).
//
// Key layout. B = "<prefix>:{=<partition>}:" is the partition's base, the partition
// percent-encoded so it holds no '}' (and "{=…}" is never an empty hash tag). The hash tag is
// the whole partition, so every key of a partition — every key of one partition+subject among
// them — lies in one cluster slot and every operation is one atomic Lua script on one node:
//
//   B s:<key>   hash    the session: sub, sid?, cr, rn, ex?, tk (ticket), v (version). A session
//                       with an expiry has a TTL of (expires − now) + expiry_grace, so Redis frees
//                       what no cleanup removed; none without an expiry.
//   B i:<sid>   string  the key of the session holding this session id (unique per partition);
//                       the same TTL as that session.
//   B u:<sub>   zset    the keys of one subject's sessions, scored by expiry (+inf: none). Every
//                       session of the subject is there, not only the newest; members whose
//                       session Redis has expired are pruned when the set is read.
//   B k         zset    every key of the partition, score 0: listing in key order (ZRANGEBYLEX).
//   B x         zset    the keys of sessions that have an expiry, scored by it: cleanup.
//   B o         hash    key -> subject, so cleanup finds the subject index of a session whose
//                       record Redis has already expired.
//
// Why the partition, not the subject, is the hash tag: get, update and delete know only the key,
// and create-if-absent, the session id rule and key-order listing are rules over the whole
// partition; with subjects spread over slots each of them would need a second, cross-slot step
// (and a crash between the steps leaves a reservation nobody owns). The price: one partition's
// sessions live on one master. A cluster spreads partitions (sessions, replay records, leases)
// and everything else, not one partition's sessions.
//
// Why the TTL has a grace: the contract keeps an expired session until cleanup removes it (the
// session layer decides expiry by its own clock), and gateway and Redis clocks differ. The TTL is
// relative to the store's clock, so skew between them does not move it.
#pragma once

#include <gatehouse/session/store_error.hpp>
#include <gatehouse/session/user_session.hpp>

#include "stores/redis/redis_reply.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::redis {

inline constexpr std::chrono::milliseconds expiry_grace = std::chrono::minutes(5);
inline constexpr std::size_t max_prefix = 64;

// 1 to 64 bytes, no braces (they would change the hash tag), no whitespace or control bytes.
bool valid_prefix(std::string_view prefix);

// "<prefix>:{=<partition percent-encoded>}:"
std::string partition_base(std::string_view prefix, std::string_view partition);

// The record's key (B s:<key>).
std::string session_key(std::string_view base, std::string_view key);

// What the write scripts take after the base and the key: sub, sid or "", created, renewed,
// expires or "", ticket, TTL in ms or "" (at least 1: a session already past its grace is still
// written, Redis drops the record at once and cleanup counts it).
struct SessionFields {
  std::string_view subject_id;
  const std::optional<std::string>& session_id;
  Timestamp created;
  Timestamp renewed;
  std::optional<Timestamp> expires;
  std::string_view ticket;
};
void append_session_arguments(std::vector<std::string>& args, const SessionFields& session,
                              Timestamp now);

// A session from its hash (HGETALL: field, value, ...). An empty reply is no session;
// anything else that is not a well-formed record is StoreErrc::corrupt.
StoreResult<std::optional<UserSession>> decode_session(std::string key, Reply fields,
                                                       const std::string& partition);

// [key, fields, key, fields, ...] as the query and listing scripts return them.
StoreResult<std::vector<UserSession>> decode_sessions(Reply pairs, const std::string& partition);

// [key, subject, session id or "", expires, ...] as the reporting cleanup returns them; expires
// in whole milliseconds (or as Redis prints a sorted set score). Anything else is corrupt.
StoreResult<std::vector<ExpiredSession>> decode_expired(Reply rows);

}  // namespace gatehouse::redis
