// Internal: the Lua scripts that make each store operation one atomic step on the partition's
// node (the key layout is in redis_layout.hpp). Each runs as EVALSHA <sha1> 1 <B k> <B> args...,
// falling back to EVAL when the node has not cached it (NOSCRIPT).
#pragma once

#include <string>
#include <string_view>

namespace gatehouse::redis {

struct Script {
  std::string_view name;
  std::string body;
  std::string sha1;  // lower-case hex, what EVALSHA takes
};

struct Scripts {
  // key, session fields -> 0 created, 1 key exists, 2 session id held by another live session.
  Script create;
  // key, session fields, expected version or "" -> the new version, -1 no such key,
  // -2 version differs, -3 session id held by another live session.
  Script update;
  // key -> 1 deleted, 0 there was none.
  Script remove;
  // subject or "", session id or "" -> [key, fields, ...] of the matching live sessions.
  Script query;
  // subject or "", session id or "" -> how many sessions were deleted.
  Script remove_matching;
  // now (ms), batch -> how many expiry entries below now were removed (see cleanup's doc).
  Script cleanup;
  // now (ms), batch -> [key, subject, session id or "", expires (ms), ...] of what it removed.
  Script cleanup_report;
  // after or "", count -> up to count live sessions with keys above `after`, [key, fields, ...].
  Script list;
};

const Scripts& scripts();

}  // namespace gatehouse::redis
