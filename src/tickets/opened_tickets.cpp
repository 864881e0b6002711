#include "tickets/opened_tickets.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <functional>
#include <utility>

namespace gatehouse::tickets {
namespace {

constexpr std::size_t kShards = 16;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kNonceBytes = 12;

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

}  // namespace

OpenedTicket::~OpenedTicket() {
  wipe(ticket_.id_token);
  wipe(ticket_.access_token);
  if (ticket_.refresh_token) wipe(*ticket_.refresh_token);
  for (auto& r : ticket_.resource_tokens) wipe(r.access_token);
}

OpenedTickets::OpenedTickets(std::size_t capacity)
    : per_shard_(capacity == 0 ? 0 : std::max<std::size_t>(1, capacity / kShards)),
      shards_(kShards) {}

std::string OpenedTickets::fingerprint(std::string_view sealed) {
  // 0x01 | kid length | kid | nonce ... tag: the header and nonce lead, the tag ends it.
  std::string out = std::to_string(sealed.size()) + ":";
  if (sealed.size() < 2) return out.append(sealed);
  const std::size_t head =
      std::min(sealed.size(),
               2 + static_cast<std::size_t>(static_cast<unsigned char>(sealed[1])) + kNonceBytes);
  out.append(sealed.substr(0, head));
  out.append(sealed.substr(sealed.size() - std::min(sealed.size(), kTagBytes)));
  return out;
}

OpenedTickets::Shard& OpenedTickets::shard_for(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

std::shared_ptr<const OpenedTicket> OpenedTickets::find(std::string_view key,
                                                        std::string_view sealed,
                                                        std::uint64_t generation) {
  if (per_shard_ == 0) return nullptr;
  const auto print = fingerprint(sealed);
  auto& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return nullptr;
  auto entry = it->second;
  if (entry->fingerprint != print || entry->generation != generation) return nullptr;
  shard.lru.splice(shard.lru.begin(), shard.lru, entry);
  return entry->ticket;
}

void OpenedTickets::insert(std::string_view key, std::string_view sealed, std::uint64_t generation,
                           std::shared_ptr<const OpenedTicket> ticket, Timestamp expires,
                           Timestamp now) {
  if (per_shard_ == 0 || !ticket) return;
  auto print = fingerprint(sealed);
  std::shared_ptr<const OpenedTicket> released;              // let go of outside the lock
  std::vector<std::shared_ptr<const OpenedTicket>> expired;  // likewise
  auto& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  if (++shard.inserts % 64 == 0)
    for (auto it = shard.lru.begin(); it != shard.lru.end();) {
      if (it->expires > now || it->key == key) {
        ++it;
        continue;
      }
      expired.push_back(std::move(it->ticket));
      shard.index.erase(it->key);  // before the entry whose key it views
      it = shard.lru.erase(it);
    }
  if (auto it = shard.index.find(key); it != shard.index.end()) {
    auto entry = it->second;
    entry->fingerprint = std::move(print);
    entry->generation = generation;
    entry->expires = expires;
    released = std::exchange(entry->ticket, std::move(ticket));
    shard.lru.splice(shard.lru.begin(), shard.lru, entry);
    return;
  }
  if (shard.lru.size() >= per_shard_) {
    auto& last = shard.lru.back();
    shard.index.erase(last.key);
    released = std::move(last.ticket);
    shard.lru.pop_back();
  }
  shard.lru.push_front(
      Entry{std::string(key), std::move(print), generation, std::move(ticket), expires});
  shard.index.emplace(shard.lru.front().key, shard.lru.begin());
}

void OpenedTickets::erase(std::string_view key) {
  if (per_shard_ == 0) return;
  std::shared_ptr<const OpenedTicket> released;
  auto& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return;
  const auto entry = it->second;
  released = std::move(entry->ticket);
  shard.index.erase(it);  // before the entry whose key it views
  shard.lru.erase(entry);
}

std::size_t OpenedTickets::size() const {
  std::size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    n += shard.lru.size();
  }
  return n;
}

}  // namespace gatehouse::tickets
