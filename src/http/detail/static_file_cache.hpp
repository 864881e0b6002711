// Internal: the bounded in-memory cache behind StaticSite. It holds immutable, shared file
// entries keyed by the request's relative path, remembers when each was last checked against
// the disk, and evicts the least recently used entry when a bound would be exceeded.
// Thread-safe: every member may be called concurrently.
#pragma once

#include "http/message.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace gatehouse::http::detail {

// What tells a changed file from an unchanged one without reading it: an edit changes size or
// mtime/ctime, a replacement (rename over, delete and re-create) changes the inode.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

struct CachedFile {
  std::filesystem::path resolved;  // canonical path the bytes were read from
  FileIdentity identity;
  std::shared_ptr<const std::string> body;
  Fields headers;  // Content-Type, ETag, Last-Modified and Cache-Control, ready to send
};

struct StaticCacheLimits {
  std::size_t max_entries = 0;      // 0 disables the cache
  std::size_t max_total_bytes = 0;  // bodies plus keys of every entry
};

struct StaticCacheStats {
  std::size_t entries = 0;
  std::size_t bytes = 0;
};

class StaticFileCache {
 public:
  using Clock = std::chrono::steady_clock;

  explicit StaticFileCache(StaticCacheLimits limits) : limits_(limits) {}

  struct Found {
    std::shared_ptr<const CachedFile> file;
    Clock::time_point checked_at;
  };
  // The entry for `key` (marked as recently used), or nullopt.
  std::optional<Found> find(const std::string& key);

  // Records that `file`, still cached under `key`, was found unchanged on disk at `now`.
  void mark_checked(const std::string& key, const std::shared_ptr<const CachedFile>& file,
                    Clock::time_point now);

  // Caches `file` under `key` (replacing any entry), evicting least recently used entries to
  // stay within the limits. Does nothing when the entry alone exceeds them, or when clear() ran
  // since `generation` was read (the entry was read under a root that is no longer current).
  void insert(const std::string& key, std::shared_ptr<const CachedFile> file, Clock::time_point now,
              std::uint64_t generation);

  void erase(const std::string& key);
  void clear();  // and starts a new generation
  std::uint64_t generation() const;
  StaticCacheStats stats() const;

 private:
  struct Slot {
    std::shared_ptr<const CachedFile> file;
    Clock::time_point checked_at;
    std::list<std::string>::iterator lru;  // position in lru_ (front = most recently used)
    std::size_t bytes = 0;
  };
  void erase_locked(std::unordered_map<std::string, Slot>::iterator it);

  const StaticCacheLimits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Slot> slots_;
  std::list<std::string> lru_;
  std::size_t bytes_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace gatehouse::http::detail
