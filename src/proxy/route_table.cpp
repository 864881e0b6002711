#include "proxy/route_table.hpp"
#include "url/strict_url.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace gatehouse::proxy {

std::optional<UpstreamTarget> parse_upstream(std::string_view url) {
  const auto parsed = gatehouse::url::parse_absolute(url);
  if (!parsed) return std::nullopt;
  const auto& u = *parsed;
  UpstreamTarget t;
  if (u.scheme_id() == boost::urls::scheme::https)
    t.tls = true;
  else if (u.scheme_id() != boost::urls::scheme::http)
    return std::nullopt;
  if (u.has_userinfo() || u.has_query() || u.has_fragment()) return std::nullopt;
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
      t.host = u.host_ipv4_address().to_string();
      break;
    case boost::urls::host_type::ipv6:
      t.host = u.host_ipv6_address().to_string();
      break;
    case boost::urls::host_type::name:
      t.host = u.host_name();
      t.host_is_name = true;
      break;
    default:
      return std::nullopt;
  }
  if (t.host.empty()) return std::nullopt;
  t.port = u.has_port() ? std::string(u.port()) : (t.tls ? "443" : "80");
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(t.port.data(), t.port.data() + t.port.size(), port);
  if (ec != std::errc{} || end != t.port.data() + t.port.size() || port == 0 || port > 65535)
    return std::nullopt;
  t.host_header = std::string(u.encoded_host_and_port());
  t.origin = std::string(u.scheme()) + "://" + t.host_header;
  t.base_path = std::string(u.encoded_path());
  while (!t.base_path.empty() && t.base_path.back() == '/') t.base_path.pop_back();
  return t;
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
