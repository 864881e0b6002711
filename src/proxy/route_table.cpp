#include "proxy/route_table.hpp"
#include "url/strict_url.hpp"

#include <algorithm>
#include <stdexcept>

namespace gatehouse::proxy {

std::optional<UpstreamTarget> parse_upstream(std::string_view text) {
  auto t = url::parse_http_target(text);
  if (!t || t->query || t->has_fragment) return std::nullopt;
  UpstreamTarget out{t->tls,         std::move(t->host),   t->host_is_name,   std::move(t->port),
                     t->host_header, std::move(t->origin), std::move(t->path)};
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  return out;
}

RouteTable::RouteTable(const std::vector<config::ApiRoute>& routes) {
  for (std::size_t i = 0; i < routes.size(); ++i) {
    auto upstream = parse_upstream(routes[i].upstream);
    if (!upstream)
      throw std::invalid_argument("api[" + std::to_string(i) +
                                  "].upstream: not a usable http(s) URL");
    routes_.push_back({i, routes[i], std::move(*upstream)});
  }
  std::stable_sort(routes_.begin(), routes_.end(), [](const auto& a, const auto& b) {
    return a.config.path.size() > b.config.path.size();
  });
}

std::optional<RouteMatch> RouteTable::match(std::string_view raw_target) const {
  const auto q = raw_target.find('?');
  const auto path = raw_target.substr(0, q);
  for (const auto& route : routes_) {
    const auto& prefix = route.config.path;
    if (!path.starts_with(prefix)) continue;
    if (path.size() > prefix.size() && path[prefix.size()] != '/') continue;
    RouteMatch m{&route, route.upstream.base_path};
    m.upstream_target += path.substr(prefix.size());
    if (m.upstream_target.empty()) m.upstream_target = "/";
    if (q != std::string_view::npos) m.upstream_target += raw_target.substr(q);
    return m;
  }
  return std::nullopt;
}

bool has_dot_segment(std::string_view path) {
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto segment = path.substr(0, slash);
    if (segment == "." || segment == "..") return true;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return false;
}

}  // namespace gatehouse::proxy
