#include "stores/redis/redis_scripts.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace gatehouse::redis {
namespace {

// Shared by every script: ARGV[1] is the partition's base B; KEYS[1] (B k) routes the call.
// Scores and times stay strings end to end: Lua 5.1 would print large numbers in %.14g.
constexpr std::string_view prelude = R"lua(
local base = ARGV[1]
local keys_idx, exp_idx, owners = base .. 'k', base .. 'x', base .. 'o'
local function rec(k) return base .. 's:' .. k end
local function sid_key(i) return base .. 'i:' .. i end
local function sub_key(s) return base .. 'u:' .. s end

-- The live session holding session id i, or false.
local function sid_holder(i)
  local k = redis.call('GET', sid_key(i))
  if k and redis.call('HGET', rec(k), 'sid') == i then return k end
  return false
end

-- Removes session k and each of its index entries (also what a session Redis has expired left
-- behind); true when its record still existed.
local function unlink(k)
  local r = redis.call('HMGET', rec(k), 'sub', 'sid')
  local s = r[1] or redis.call('HGET', owners, k)
  if r[2] and redis.call('GET', sid_key(r[2])) == k then redis.call('DEL', sid_key(r[2])) end
  if s then redis.call('ZREM', sub_key(s), k) end
  redis.call('ZREM', keys_idx, k)
  redis.call('ZREM', exp_idx, k)
  redis.call('HDEL', owners, k)
  return redis.call('DEL', rec(k)) == 1
end

-- Writes ARGV[3..9] (sub, sid, created, renewed, expires, ticket, ttl) as session k and indexes
-- it; version 1, or (fresh == false) one more than the stored one. Returns the version.
local function store(k, fresh)
  local r, s, i, ex, ttl = rec(k), ARGV[3], ARGV[4], ARGV[7], ARGV[9]
  redis.call('HSET', r, 'sub', s, 'cr', ARGV[5], 'rn', ARGV[6], 'tk', ARGV[8])
  if i ~= '' then redis.call('HSET', r, 'sid', i) else redis.call('HDEL', r, 'sid') end
  if ex ~= '' then
    redis.call('HSET', r, 'ex', ex)
    redis.call('ZADD', exp_idx, ex, k)
  else
    redis.call('HDEL', r, 'ex')
    redis.call('ZREM', exp_idx, k)
  end
  redis.call('ZADD', keys_idx, 0, k)
  redis.call('HSET', owners, k, s)
  redis.call('ZADD', sub_key(s), ex ~= '' and ex or '+inf', k)
  if i ~= '' then redis.call('SET', sid_key(i), k) end
  if ttl ~= '' then
    redis.call('PEXPIRE', r, ttl)
    if i ~= '' then redis.call('PEXPIRE', sid_key(i), ttl) end
  else
    redis.call('PERSIST', r)
  end
  if fresh then
    redis.call('HSET', r, 'v', '1')
    return 1
  end
  return redis.call('HINCRBY', r, 'v', 1)
end

-- The keys of the live sessions matching subject ARGV[2] and/or session id ARGV[3] ('' = any);
-- prunes the subject index of sessions Redis has expired.
local function matching()
  local s, i, out = ARGV[2], ARGV[3], {}
  if s == '' then
    local k = sid_holder(i)
    if k then out[1] = k end
    return out
  end
  for _, k in ipairs(redis.call('ZRANGE', sub_key(s), 0, -1)) do
    local r = redis.call('HMGET', rec(k), 'sub', 'sid')
    if r[1] ~= s then
      redis.call('ZREM', sub_key(s), k)
    elseif i == '' or r[2] == i then
      out[#out + 1] = k
    end
  end
  return out
end
)lua";

constexpr std::string_view create_body = R"lua(
local k = ARGV[2]
if redis.call('EXISTS', rec(k)) == 1 then return 1 end
if ARGV[4] ~= '' and sid_holder(ARGV[4]) then return 2 end
unlink(k)
store(k, true)
return 0
)lua";

constexpr std::string_view update_body = R"lua(
local k, want, i = ARGV[2], ARGV[10], ARGV[4]
local cur = redis.call('HMGET', rec(k), 'v', 'sub', 'sid')
if not cur[1] then return -1 end
if want ~= '' and cur[1] ~= want then return -2 end
if i ~= '' and i ~= cur[3] then
  local holder = sid_holder(i)
  if holder and holder ~= k then return -3 end
end
if cur[3] and cur[3] ~= i and redis.call('GET', sid_key(cur[3])) == k then
  redis.call('DEL', sid_key(cur[3]))
end
if cur[2] ~= ARGV[3] then redis.call('ZREM', sub_key(cur[2]), k) end
return store(k, false)
)lua";

constexpr std::string_view remove_body = R"lua(
if unlink(ARGV[2]) then return 1 end
return 0
)lua";

constexpr std::string_view query_body = R"lua(
local out = {}
for _, k in ipairs(matching()) do
  out[#out + 1] = k
  out[#out + 1] = redis.call('HGETALL', rec(k))
end
return out
)lua";

constexpr std::string_view remove_matching_body = R"lua(
local n = 0
for _, k in ipairs(matching()) do
  if unlink(k) then n = n + 1 end
end
return n
)lua";

constexpr std::string_view cleanup_body = R"lua(
local ks = redis.call('ZRANGEBYSCORE', exp_idx, '-inf', '(' .. ARGV[2], 'LIMIT', 0, ARGV[3])
for _, k in ipairs(ks) do unlink(k) end
return #ks
)lua";

// The same, naming each session it removed: key, subject, session id or '', expires (the
// record's, or its expiry index score when Redis has already dropped the record).
constexpr std::string_view cleanup_report_body = R"lua(
local ks = redis.call('ZRANGEBYSCORE', exp_idx, '-inf', '(' .. ARGV[2], 'WITHSCORES', 'LIMIT', 0,
                      ARGV[3])
local out = {}
for n = 1, #ks, 2 do
  local k = ks[n]
  local r = redis.call('HMGET', rec(k), 'sub', 'sid', 'ex')
  out[#out + 1] = k
  out[#out + 1] = r[1] or redis.call('HGET', owners, k) or ''
  out[#out + 1] = r[2] or ''
  out[#out + 1] = r[3] or ks[n + 1]
  unlink(k)
end
return out
)lua";

// Skips keys whose record Redis has expired, so a page is short only at the end.
constexpr std::string_view list_body = R"lua(
local want, out, n = tonumber(ARGV[3]), {}, 0
local from = '-'
if ARGV[2] ~= '' then from = '(' .. ARGV[2] end
while n < want do
  local ks = redis.call('ZRANGEBYLEX', keys_idx, from, '+', 'LIMIT', 0, want - n)
  if #ks == 0 then break end
  for _, k in ipairs(ks) do
    local r = redis.call('HGETALL', rec(k))
    if #r > 0 then
      n = n + 1
      out[#out + 1] = k
      out[#out + 1] = r
    end
  end
  from = '(' .. ks[#ks]
end
return out
)lua";

std::string sha1_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha1(), nullptr) != 1)
    throw std::runtime_error("SHA-1 is unavailable");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

Script make(std::string_view name, std::string_view body) {
  std::string text(prelude);
  text += body;
  auto sha = sha1_hex(text);
  return {name, std::move(text), std::move(sha)};
}

}  // namespace

const Scripts& scripts() {
  static const Scripts all{
      .create = make("create", create_body),
      .update = make("update", update_body),
      .remove = make("remove", remove_body),
      .query = make("query", query_body),
      .remove_matching = make("remove_matching", remove_matching_body),
      .cleanup = make("cleanup", cleanup_body),
      .cleanup_report = make("cleanup_report", cleanup_report_body),
      .list = make("list", list_body),
  };
  return all;
}

}  // namespace gatehouse::redis
