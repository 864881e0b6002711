// Serving a built single-page app from a directory: content types, index.html for "/", SPA
// fallback for client-side routes, ETag/Last-Modified with 304, and no way out of the root.
// Small files are kept in memory and re-checked against the disk at most once per
// `revalidate_after`, so a busy site costs no file system call per request.
#pragma once

#include "http/message.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace gatehouse::http {

struct StaticOptions {
  // Unknown paths without an extension ("/settings/profile") get index.html so the SPA's
  // router can handle them; paths that look like files ("/app.js") still get 404.
  bool spa_fallback = false;
  std::string index_file = "index.html";  // always sent with Cache-Control: no-cache
  std::string asset_cache_control;        // Cache-Control for other files; empty = none
};

struct StaticCacheOptions {
  std::size_t max_file_bytes = 1024 * 1024;        // larger files stream from disk per request
  std::size_t max_total_bytes = 32 * 1024 * 1024;  // all cached bodies (and their keys)
  std::size_t max_entries = 4096;                  // 0 turns the cache off
  // How stale a cached file (and the canonical root) may get: after this, the next request for
  // it resolves the path again (symlinks, the root, file type) and compares inode, size and
  // times before serving it; changed files are read again, vanished or escaping ones dropped.
  std::chrono::milliseconds revalidate_after{1000};
  // The clock for revalidation; steady_clock::now when empty. Tests inject their own.
  std::function<std::chrono::steady_clock::time_point()> now;

  // Every request checks the disk and streams the file, as if no cache existed.
  static StaticCacheOptions none();
};

inline StaticCacheOptions StaticCacheOptions::none() {
  return {.max_file_bytes = 0,
          .max_total_bytes = 0,
          .max_entries = 0,
          .revalidate_after = std::chrono::milliseconds(0)};
}

// One static root, its options and its cache. Thread-safe: serve() may run on many threads.
class StaticSite {
 public:
  // Never throws for a missing or unreadable root: requests get 404 until it appears.
  explicit StaticSite(std::filesystem::path root, StaticOptions options = {},
                      StaticCacheOptions cache = {});
  ~StaticSite();
  StaticSite(const StaticSite&) = delete;
  StaticSite& operator=(const StaticSite&) = delete;

  // `request_path` is the percent-decoded path (Request::path). Never reads outside the root:
  // "..", backslashes, NUL, doubly encoded dots and symlinks leading out all give 404. A cached
  // file comes back in `shared_body`, a larger one as `file` (streamed).
  Response serve(std::string_view request_path) const;
  // The same for a whole request: GET and HEAD only (else 405), 304 when If-None-Match matches.
  Response serve(const Request& request) const;

  struct CacheStats {
    std::size_t entries = 0;
    std::size_t bytes = 0;
  };
  CacheStats cache_stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// One-off, uncached forms (StaticCacheOptions::none()): every call resolves the root again.
Response static_file(const std::filesystem::path& root, std::string_view request_path,
                     const StaticOptions& options = {});
Response static_file(const std::filesystem::path& root, const Request& request,
                     const StaticOptions& options = {});

// "text/html; charset=utf-8" etc. by extension; application/octet-stream when unknown.
std::string_view content_type_for(const std::filesystem::path& file);

}  // namespace gatehouse::http
