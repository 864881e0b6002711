#include "http/static_files.hpp"

#include "posix/unique_fd.hpp"

#include "http/detail/static_file_cache.hpp"
#include "http/http_date.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>

namespace gatehouse::http {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using detail::CachedFile;
using detail::FileIdentity;

Response not_found() {
  return text(404, "not found\n");
}

// The cache key for a request path: its segments joined by '/' ("" for "/"), or nullopt when
// any segment could climb out of the root.
std::optional<std::string> safe_relative(std::string_view request_path) {
  if (request_path.empty() || request_path.front() != '/') return std::nullopt;
  if (request_path.find_first_of(std::string_view("\\\0", 2)) != std::string_view::npos)
    return std::nullopt;
  std::string key;
  while (!request_path.empty()) {
    const auto slash = request_path.find('/');
    const auto segment = request_path.substr(0, slash);
    request_path = slash == std::string_view::npos ? "" : request_path.substr(slash + 1);
    if (segment.empty()) continue;
    // Also look through one more layer of encoding: "%2e%2e" must not become ".." anywhere.
    const auto decoded = percent_decode(segment).value_or(std::string(segment));
    if (decoded == "." || decoded == ".." || decoded.find_first_of("/\\") != std::string::npos)
      return std::nullopt;
    if (!key.empty()) key += '/';
    key += segment;
  }
  return key;
}

bool within(const fs::path& root, const fs::path& p) {
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

bool looks_like_file(const std::string& key) {
  return fs::path(key).filename().has_extension();
}

// realpath(3): every symlink resolved, and nullopt when any component is missing.
std::optional<fs::path> real_path(const fs::path& p) {
  std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(p.c_str(), nullptr), &std::free);
  if (!resolved) return std::nullopt;
  return fs::path(resolved.get());
}

using FileDescriptor = posix::UniqueFd;

// Opens a canonical path (realpath's answer: no symlink in it) without following any symlink
// swapped into it since, so what is read is what was checked. O_NONBLOCK: a FIFO must not hang.
FileDescriptor open_resolved(const fs::path& resolved) {
  constexpr int kFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
#if defined(SYS_openat2) && defined(RESOLVE_NO_SYMLINKS)
  static std::atomic<bool> no_openat2{false};
  if (!no_openat2.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = kFlags;
    how.resolve = RESOLVE_NO_SYMLINKS;
    const auto fd = ::syscall(SYS_openat2, AT_FDCWD, resolved.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return FileDescriptor(static_cast<int>(fd));
    no_openat2 = true;  // kernel before 5.6: the last component at least stays no symlink
  }
#endif
  return FileDescriptor(::open(resolved.c_str(), kFlags | O_NOFOLLOW));
}

std::int64_t nanoseconds(const timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

FileIdentity identity_of(const struct stat& st) {
  return {st.st_dev, st.st_ino, static_cast<std::uint64_t>(st.st_size), nanoseconds(st.st_mtim),
          nanoseconds(st.st_ctim)};
}

// Same value as before the cache existed (size and file_clock ticks), so browsers' ETags
// stay valid across the upgrade.
std::string etag_for(const FileIdentity& id) {
  const auto mtime = std::chrono::file_clock::from_sys(
      std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(id.mtime_ns)));
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%jx-%llx\"", static_cast<std::uintmax_t>(id.size),
                static_cast<unsigned long long>(mtime.time_since_epoch().count()));
  return buf;
}

Fields headers_for(const fs::path& file, const FileIdentity& id, bool is_index,
                   const StaticOptions& options) {
  Fields headers;
  headers.emplace_back("Content-Type", std::string(content_type_for(file)));
  headers.emplace_back("ETag", etag_for(id));
  const auto mtime =
      std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(id.mtime_ns));
  headers.emplace_back(
      "Last-Modified",
      http_date(std::chrono::time_point_cast<std::chrono::system_clock::duration>(mtime)));
  if (is_index)
    headers.emplace_back("Cache-Control", "no-cache");
  else if (!options.asset_cache_control.empty())
    headers.emplace_back("Cache-Control", options.asset_cache_control);
  return headers;
}

// The whole file, or nullopt when a read fails or the size is not what fstat said.
std::optional<std::string> read_exactly(int fd, std::size_t size) {
  std::string bytes(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    const auto n = ::pread(fd, bytes.data() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    got += static_cast<std::size_t>(n);
  }
  char more;
  if (::pread(fd, &more, 1, static_cast<off_t>(size)) != 0) return std::nullopt;  // it grew
  return bytes;
}

Response from_cache(const CachedFile& file) {
  Response r{.status = 200, .headers = file.headers};
  r.shared_body = file.body;
  return r;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    auto item = if_none_match.substr(0, comma);
    if_none_match = comma == std::string_view::npos ? "" : if_none_match.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);  // If-None-Match uses weak comparison
    if (item == "*" || item == etag) return true;
  }
  return false;
}

}  // namespace

struct StaticSite::State {
  State(fs::path r, StaticOptions o, StaticCacheOptions c)
      : root(std::move(r)),
        options(std::move(o)),
        limits(std::move(c)),
        index_key(safe_relative("/" + options.index_file)),
        cache({limits.max_entries, limits.max_total_bytes}) {
    if (index_key && index_key->empty()) index_key.reset();
  }

  Clock::time_point now() const { return limits.now ? limits.now() : Clock::now(); }

  // The canonical root, resolved again once it is `revalidate_after` old: a deployment that
  // swaps a symlinked root is picked up, and the cache, filled from the old root, emptied. The
  // generation comes with it, so an entry read under a root that was replaced meanwhile is not
  // cached (StaticFileCache::insert).
  struct Root {
    std::optional<fs::path> path;
    std::uint64_t generation = 0;
  };
  Root current_root(Clock::time_point t) {
    {
      std::lock_guard lock(root_mutex);
      if (root_checked && t - root_checked_at < limits.revalidate_after)
        return {canonical_root, cache.generation()};
    }
    auto fresh = real_path(root);
    std::lock_guard lock(root_mutex);
    if (fresh != canonical_root) {
      canonical_root = std::move(fresh);
      cache.clear();
    }
    root_checked = true;
    root_checked_at = std::max(root_checked_at, t);
    return {canonical_root, cache.generation()};
  }

  bool cacheable(std::uint64_t size, const std::string& key) const {
    return limits.max_entries > 0 && size <= limits.max_file_bytes &&
           size + key.size() <= limits.max_total_bytes;
  }

  // The file for `key` under `canonical`, from memory while fresh, else checked on disk first;
  // nullopt when there is no such regular file inside the root.
  std::optional<Response> serve_key(const fs::path& canonical, const std::string& key,
                                    Clock::time_point t, std::uint64_t generation) {
    const auto found = cache.find(key);
    if (found && t - found->checked_at < limits.revalidate_after) return from_cache(*found->file);

    // realpath resolves every symlink, so a link leading out of the root is caught here. Only
    // regular files are opened: opening a device or FIFO can block or have side effects.
    const auto resolved = real_path(canonical / key);
    struct stat st {};
    const bool regular = resolved && within(canonical, *resolved) &&
                         ::lstat(resolved->c_str(), &st) == 0 && S_ISREG(st.st_mode);
    const auto fd = regular ? open_resolved(*resolved) : FileDescriptor(-1);
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      if (found) cache.erase(key);
      return std::nullopt;
    }
    const auto id = identity_of(st);
    if (found && found->file->identity == id && found->file->resolved == *resolved) {
      cache.mark_checked(key, found->file, t);
      return from_cache(*found->file);
    }
    const bool is_index = key == index_key || *resolved == canonical / options.index_file;
    auto headers = headers_for(*resolved, id, is_index, options);
    if (cacheable(id.size, key)) {
      auto bytes = read_exactly(fd.get(), id.size);
      struct stat after {};
      if (bytes && ::fstat(fd.get(), &after) == 0 && identity_of(after) == id) {
        auto file = std::make_shared<const CachedFile>(
            CachedFile{*resolved, id, std::make_shared<const std::string>(std::move(*bytes)),
                       std::move(headers)});
        cache.insert(key, file, t, generation);
        return from_cache(*file);
      }
    }
    // Too large, or changing while read: stream it, and remember nothing about it.
    if (found) cache.erase(key);
    return Response{.status = 200, .headers = std::move(headers), .file = *resolved};
  }

  const fs::path root;
  const StaticOptions options;
  const StaticCacheOptions limits;
  std::optional<std::string> index_key;  // nullopt when index_file is unusable
  detail::StaticFileCache cache;

  std::mutex root_mutex;
  std::optional<fs::path> canonical_root;
  Clock::time_point root_checked_at{};
  bool root_checked = false;
};

StaticSite::StaticSite(fs::path root, StaticOptions options, StaticCacheOptions cache)
    : state_(std::make_unique<State>(std::move(root), std::move(options), std::move(cache))) {}

StaticSite::~StaticSite() = default;

Response StaticSite::serve(std::string_view request_path) const {
  const auto key = safe_relative(request_path);
  if (!key) return not_found();
  auto& s = *state_;
  const auto t = s.now();
  const auto root = s.current_root(t);
  if (!root.path) return not_found();
  if (!key->empty())
    if (auto r = s.serve_key(*root.path, *key, t, root.generation)) return std::move(*r);
  if ((key->empty() || (s.options.spa_fallback && !looks_like_file(*key))) && s.index_key)
    if (auto r = s.serve_key(*root.path, *s.index_key, t, root.generation)) return std::move(*r);
  return not_found();
}

Response StaticSite::serve(const Request& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    auto r = text(405, "method not allowed\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  auto r = serve(std::string_view(request.path));
  const auto if_none_match = request.header("If-None-Match");
  const auto etag = r.header("ETag");
  if (r.status == 200 && if_none_match && etag && etag_matches(*if_none_match, *etag)) {
    r.status = 304;
    r.file.reset();
    r.shared_body.reset();
    std::erase_if(r.headers, [](const auto& h) { return iequals(h.first, "Content-Type"); });
  }
  return r;
}

StaticSite::CacheStats StaticSite::cache_stats() const {
  const auto stats = state_->cache.stats();
  return {stats.entries, stats.bytes};
}

Response static_file(const fs::path& root, std::string_view request_path,
                     const StaticOptions& options) {
  return StaticSite(root, options, StaticCacheOptions::none()).serve(request_path);
}

Response static_file(const fs::path& root, const Request& request, const StaticOptions& options) {
  return StaticSite(root, options, StaticCacheOptions::none()).serve(request);
}

std::string_view content_type_for(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 15> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  }};
  const auto ext = file.extension().string();
  for (const auto& [e, type] : kTypes)
    if (iequals(e, ext)) return type;
  return "application/octet-stream";
}

}  // namespace gatehouse::http
