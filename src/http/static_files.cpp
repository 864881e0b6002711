#include "http/static_files.hpp"

#include "http/http_date.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <system_error>

namespace gatehouse::http {
namespace fs = std::filesystem;

namespace {

Response not_found() {
  return text(404, "not found\n");
}

// A safe relative path from the request path, or nullopt when any segment could climb out.
std::optional<fs::path> safe_relative(std::string_view request_path) {
  if (request_path.empty() || request_path.front() != '/') return std::nullopt;
  if (request_path.find_first_of(std::string_view("\\\0", 2)) != std::string_view::npos)
    return std::nullopt;
  fs::path rel;
  while (!request_path.empty()) {
    const auto slash = request_path.find('/');
    const auto segment = request_path.substr(0, slash);
    request_path = slash == std::string_view::npos ? "" : request_path.substr(slash + 1);
    if (segment.empty()) continue;
    // Also look through one more layer of encoding: "%2e%2e" must not become ".." anywhere.
    const auto decoded = percent_decode(segment).value_or(std::string(segment));
    if (decoded == "." || decoded == ".." || decoded.find_first_of("/\\") != std::string::npos)
      return std::nullopt;
    rel /= fs::path(segment);
  }
  return rel;
}

bool within(const fs::path& root, const fs::path& p) {
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

bool looks_like_file(const fs::path& rel) {
  return rel.filename().has_extension();
}

std::string etag_for(std::uintmax_t size, fs::file_time_type mtime) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%jx-%llx\"", size,
                static_cast<unsigned long long>(mtime.time_since_epoch().count()));
  return buf;
}

Response serve(const fs::path& file, bool is_index, const StaticOptions& options) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  const auto mtime = fs::last_write_time(file, ec);
  if (ec) return not_found();
  Response r{.status = 200, .file = file};
  r.headers.emplace_back("Content-Type", std::string(content_type_for(file)));
  r.headers.emplace_back("ETag", etag_for(size, mtime));
  r.headers.emplace_back("Last-Modified", http_date(std::chrono::file_clock::to_sys(mtime)));
  if (is_index)
    r.headers.emplace_back("Cache-Control", "no-cache");
  else if (!options.asset_cache_control.empty())
    r.headers.emplace_back("Cache-Control", options.asset_cache_control);
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

Response static_file(const fs::path& root, std::string_view request_path,
                     const StaticOptions& options) {
  const auto rel = safe_relative(request_path);
  if (!rel) return not_found();
  std::error_code ec;
  const auto canonical_root = fs::canonical(root, ec);
  if (ec) return not_found();
  const auto index = canonical_root / options.index_file;

  if (rel->empty()) return serve(index, true, options);
  // weakly_canonical resolves symlinks, so a link pointing outside the root is caught here.
  const auto resolved = fs::weakly_canonical(canonical_root / *rel, ec);
  if (!ec && within(canonical_root, resolved) && fs::is_regular_file(resolved, ec))
    return serve(resolved, resolved == index, options);
  if (options.spa_fallback && !looks_like_file(*rel) && fs::is_regular_file(index, ec))
    return serve(index, true, options);
  return not_found();
}

Response static_file(const fs::path& root, const Request& request, const StaticOptions& options) {
  if (request.method != "GET" && request.method != "HEAD") {
    auto r = text(405, "method not allowed\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  auto r = static_file(root, std::string_view(request.path), options);
  const auto if_none_match = request.header("If-None-Match");
  const auto etag = r.header("ETag");
  if (r.status == 200 && if_none_match && etag && etag_matches(*if_none_match, *etag)) {
    r.status = 304;
    r.file.reset();
    std::erase_if(r.headers, [](const auto& h) { return iequals(h.first, "Content-Type"); });
  }
  return r;
}

}  // namespace gatehouse::http
