// The verified-session cache: tickets already opened (decrypted and parsed), reused while the
// stored row still holds exactly the sealed bytes they came from.
//
// The store is still read on every request (a revocation on any instance shows on the very next
// one); only the work after the read is skipped when the row is unchanged: no AES-GCM open, no
// parse, and the /bff/user body rendered once per ticket. "Unchanged" is decided by the sealed
// envelope's header and random nonce, its GCM tag and its size: every seal draws a fresh nonce,
// so equal fingerprints mean the very envelope the cached ticket was opened from (bytes changed
// in between, keeping those, would be a forgery: it could only ever yield the cached, genuine
// ticket). Entries are also tied to the key ring's generation, so a ring that changes (a key
// retired) opens everything afresh.
//
// Bounded (least recently used entries go first), sharded so io threads rarely meet on a lock;
// the tokens of an entry are wiped from memory when the last holder lets go of it.
#pragma once

#include "tickets/ticket.hpp"

#include <gatehouse/session/clock.hpp>

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gatehouse::tickets {

// One opened ticket, shared read-only by every request that finds it.
class OpenedTicket {
 public:
  explicit OpenedTicket(SessionTicket ticket) : ticket_(std::move(ticket)) {}
  ~OpenedTicket();  // wipes the tokens
  OpenedTicket(const OpenedTicket&) = delete;
  OpenedTicket& operator=(const OpenedTicket&) = delete;

  const SessionTicket& ticket() const { return ticket_; }

  // `render(ticket)` computed once per ticket and `context` (e.g. the /bff/user body for one
  // logout URL); a different context is rendered each time without replacing the first.
  template <class Render>
  std::string rendered(std::string_view context, Render render) const {
    {
      std::lock_guard lock(mutex_);
      if (memo_ && memo_->first == context) return memo_->second;
    }
    std::string out = render(ticket_);
    std::lock_guard lock(mutex_);
    if (!memo_) memo_.emplace(std::string(context), out);
    return out;
  }

 private:
  SessionTicket ticket_;
  mutable std::mutex mutex_;
  mutable std::optional<std::pair<std::string, std::string>> memo_;
};

class OpenedTickets {
 public:
  // At most `capacity` tickets; 0 disables the cache.
  explicit OpenedTickets(std::size_t capacity);

  // The ticket opened from `sealed` under `key` with the ring at `generation`, if cached.
  std::shared_ptr<const OpenedTicket> find(std::string_view key, std::string_view sealed,
                                           std::uint64_t generation);
  // `expires`: when the session ends unless renewed. Every 64th insert into a shard also drops
  // that shard's entries expired by `now` (sessions that expired or were cleaned up without the
  // cache hearing of it), so their tokens do not wait in memory for the LRU to reach them.
  void insert(std::string_view key, std::string_view sealed, std::uint64_t generation,
              std::shared_ptr<const OpenedTicket> ticket, Timestamp expires = Timestamp::max(),
              Timestamp now = Timestamp::min());
  void erase(std::string_view key);
  std::size_t size() const;

  // What identifies one sealing of a ticket (see the file comment).
  static std::string fingerprint(std::string_view sealed);

 private:
  struct Entry {
    std::string key;
    std::string fingerprint;
    std::uint64_t generation;
    std::shared_ptr<const OpenedTicket> ticket;
    Timestamp expires;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::list<Entry> lru;  // most recently used first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;  // views of Entry::key
    std::size_t inserts = 0;
  };
  Shard& shard_for(std::string_view key);

  std::size_t per_shard_;
  std::vector<Shard> shards_;
};

}  // namespace gatehouse::tickets
