// The [[api]] routes, compiled once at start-up: which route a request path belongs to (the
// longest matching prefix, on a path-segment boundary) and the upstream URL it goes to.
#pragma once

#include "config/config.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::proxy {

// Where a route's calls go: parsed from `upstream` once.
struct UpstreamTarget {
  bool tls = false;
  std::string host;  // for DNS / the socket: IP literals without brackets
  bool host_is_name = false;
  std::string port;
  std::string host_header;  // as in the URL: brackets, and the port unless it is the default
  std::string origin;       // "https://orders.internal:8443"
  std::string base_path;    // "/orders", or "" for the upstream's root
};

// "http(s)://host[:port][/path]" without userinfo, query or fragment; nullopt otherwise.
std::optional<UpstreamTarget> parse_upstream(std::string_view url);

struct ProxyRoute {
  std::size_t index = 0;  // in the configuration: api[index]
  config::ApiRoute config;
  UpstreamTarget upstream;
};

struct RouteMatch {
  const ProxyRoute* route = nullptr;
  std::string upstream_target;  // base path + the rest of the request target (raw) + query
};

class RouteTable {
 public:
  // Throws std::invalid_argument naming the route for an upstream the config check let through.
  explicit RouteTable(const std::vector<config::ApiRoute>& routes);

  bool empty() const { return routes_.empty(); }
  const std::vector<ProxyRoute>& routes() const { return routes_; }

  // The route for a request target in origin form (raw, still percent-encoded), or nullopt.
  // The prefix is matched on the raw target, so an encoded prefix ("/ap%69") never matches.
  std::optional<RouteMatch> match(std::string_view raw_target) const;

 private:
  std::vector<ProxyRoute> routes_;  // longest path first
};

// True when the decoded path has a "." or ".." segment: the upstream could resolve it above the
// route's base path, so such requests are refused.
bool has_dot_segment(std::string_view decoded_path);

}  // namespace gatehouse::proxy
