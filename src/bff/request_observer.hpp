// What the gateway records about every request its listeners answer: one access-log line
// (logging/log_format.hpp: request id, method, path without the query, route class, status,
// duration) and gatehouse_http_requests_total{route,code} /
// gatehouse_http_request_duration_seconds{route}. The route label is a route *class*, never the
// raw path, so the label set stays bounded.
#pragma once

#include "http/server.hpp"
#include "metrics/metrics.hpp"

#include <array>
#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::bff {

enum class RouteClass {
  bff,           // /bff/... (user, sessions, ...)
  login,         // /bff/login, /bff/logout, /signin-oidc
  backchannel,   // /bff/backchannel
  api,           // [[api]] routes
  local,         // an embedding program's local APIs
  static_files,  // the SPA's files
  health,        // /healthz, /readyz
  admin,         // the admin API
  metrics,       // /metrics
  other,         // anything else (a 404)
  invalid,       // refused before its head could be read
};
inline constexpr std::size_t kRouteClasses = 11;
std::string_view to_string(RouteClass route);

// The public listener's route classes, from the paths the gateway serves.
struct PublicRoutes {
  std::string bff_base_path = "/bff";
  std::vector<std::string> api_paths;    // [[api]] paths
  std::vector<std::string> local_paths;  // local API paths
  bool static_site = false;
  RouteClass classify(const http::Request& request) const;
};

// The admin and metrics listeners: /metrics is `metrics`, the rest `admin`.
RouteClass classify_admin(const http::Request& request);

class GatewayRequestObserver final : public http::RequestObserver {
 public:
  using Classify = std::function<RouteClass(const http::Request&)>;
  // `access_lines`: one log line per answer (info; health checks at debug). Counting happens
  // either way.
  explicit GatewayRequestObserver(Classify classify, bool access_lines = true,
                                  metrics::Registry& registry = metrics::default_registry());
  void completed(const http::RequestRecord& record) noexcept override;

 private:
  metrics::Counter& requests(RouteClass route, int status);

  Classify classify_;
  bool access_lines_;
  metrics::Family<metrics::Counter>* requests_;
  std::array<metrics::Histogram*, kRouteClasses> durations_{};
  // The counter of each (route, status), resolved on first use: later requests touch no mutex.
  static constexpr int kStatuses = 600;
  std::array<std::array<std::atomic<metrics::Counter*>, kStatuses>, kRouteClasses> counters_{};
};

}  // namespace gatehouse::bff
