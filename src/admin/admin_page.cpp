#include "admin/admin_page.hpp"

#include "admin/admin_page_files.hpp"

#include <memory>
#include <string>
#include <vector>

namespace gatehouse::admin {
namespace {

constexpr std::string_view prefix = "/admin/";

std::string_view content_type(std::string_view name) {
  const auto dot = name.rfind('.');
  const auto ext = dot == std::string_view::npos ? std::string_view() : name.substr(dot);
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  return "application/octet-stream";
}

struct Asset {
  std::string path;  // as requested: "/admin/app.js"; the index page is "/admin/"
  std::string type;
  std::shared_ptr<const std::string> body;  // shared by every response: no copy per request
};

const std::vector<Asset>& assets() {
  static const std::vector<Asset> table = [] {
    std::vector<Asset> out;
    for (const auto& f : page_files()) {
      const std::string path =
          f.name == "index.html" ? std::string(prefix) : std::string(prefix) + std::string(f.name);
      out.push_back(
          {path, std::string(content_type(f.name)), std::make_shared<const std::string>(f.bytes)});
    }
    return out;
  }();
  return table;
}

// Every page response, whatever its status: nothing here may be framed, sniffed, cached or
// leak the admin listener's address in a Referer.
http::Response hardened(http::Response r) {
  r.set_header("Content-Security-Policy", std::string(page_csp));
  r.set_header("X-Content-Type-Options", "nosniff");
  r.set_header("Referrer-Policy", "no-referrer");
  r.set_header("Cache-Control", "no-store");
  r.set_header("X-Frame-Options", "DENY");
  r.set_header("Cross-Origin-Opener-Policy", "same-origin");
  r.set_header("Cross-Origin-Resource-Policy", "same-origin");
  return r;
}

}  // namespace

std::optional<http::Response> serve_page(const http::Request& request) {
  const Asset* found = nullptr;
  for (const auto& a : assets())
    if (a.path == request.path) found = &a;
  const bool bare = request.path == "/admin";
  if (!found && !bare) return std::nullopt;
  if (request.method != "GET" && request.method != "HEAD") {
    auto r = http::text(405, "method not allowed\n");
    r.set_header("Allow", "GET, HEAD");
    return hardened(std::move(r));
  }
  // Its files are named relative to "/admin/".
  if (bare) return hardened(http::redirect(308, std::string(prefix)));
  http::Response r;
  r.status = 200;
  r.set_header("Content-Type", found->type);
  r.shared_body = found->body;
  return hardened(std::move(r));
}

}  // namespace gatehouse::admin
