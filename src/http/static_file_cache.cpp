#include "http/detail/static_file_cache.hpp"

#include <algorithm>

namespace gatehouse::http::detail {

std::optional<StaticFileCache::Found> StaticFileCache::find(const std::string& key) {
  std::lock_guard lock(mutex_);
  const auto it = slots_.find(key);
  if (it == slots_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return Found{it->second.file, it->second.checked_at};
}

void StaticFileCache::mark_checked(const std::string& key,
                                   const std::shared_ptr<const CachedFile>& file,
                                   Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto it = slots_.find(key);
  if (it != slots_.end() && it->second.file == file)
    it->second.checked_at = std::max(it->second.checked_at, now);
}

void StaticFileCache::insert(const std::string& key, std::shared_ptr<const CachedFile> file,
                             Clock::time_point now, std::uint64_t generation) {
  const std::size_t bytes = file->body->size() + key.size();
  if (limits_.max_entries == 0 || bytes > limits_.max_total_bytes) return;
  std::lock_guard lock(mutex_);
  if (generation != generation_) return;
  if (const auto it = slots_.find(key); it != slots_.end()) erase_locked(it);
  while (!lru_.empty() &&
         (slots_.size() >= limits_.max_entries || bytes_ + bytes > limits_.max_total_bytes))
    erase_locked(slots_.find(lru_.back()));
  lru_.push_front(key);
  slots_.emplace(key, Slot{std::move(file), now, lru_.begin(), bytes});
  bytes_ += bytes;
}

void StaticFileCache::erase(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (const auto it = slots_.find(key); it != slots_.end()) erase_locked(it);
}

void StaticFileCache::erase_locked(std::unordered_map<std::string, Slot>::iterator it) {
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  slots_.erase(it);
}

void StaticFileCache::clear() {
  std::lock_guard lock(mutex_);
  slots_.clear();
  lru_.clear();
  bytes_ = 0;
  ++generation_;
}

std::uint64_t StaticFileCache::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

StaticCacheStats StaticFileCache::stats() const {
  std::lock_guard lock(mutex_);
  return {slots_.size(), bytes_};
}

}  // namespace gatehouse::http::detail
