// Serving a built single-page app from a directory: content types, index.html for "/", SPA
// fallback for client-side routes, ETag/Last-Modified with 304, and no way out of the root.
#pragma once

#include "http/message.hpp"

#include <filesystem>
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

// `request_path` is the percent-decoded path (Request::path). Never reads outside `root`:
// "..", backslashes, NUL, doubly encoded dots and symlinks leading out all give 404.
Response static_file(const std::filesystem::path& root, std::string_view request_path,
                     const StaticOptions& options = {});

// The same for a whole request: GET and HEAD only (else 405), 304 when If-None-Match matches.
Response static_file(const std::filesystem::path& root, const Request& request,
                     const StaticOptions& options = {});

// "text/html; charset=utf-8" etc. by extension; application/octet-stream when unknown.
std::string_view content_type_for(const std::filesystem::path& file);

}  // namespace gatehouse::http
