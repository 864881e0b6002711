#include "bff/request_observer.hpp"

#include "logging/log_format.hpp"

#include <spdlog/spdlog.h>

namespace gatehouse::bff {
namespace {

constexpr std::array<std::string_view, kRouteClasses> kNames = {
    "bff",    "login", "backchannel", "api",   "local",  "static",
    "health", "admin", "metrics",     "other", "invalid"};

// `path` is `prefix` or below it on a segment boundary.
bool under(std::string_view path, std::string_view prefix) {
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

// Bounded, so one odd request cannot make a huge log line.
std::string_view clip(std::string_view text, std::size_t max) {
  return text.substr(0, std::min(text.size(), max));
}

}  // namespace

std::string_view to_string(RouteClass route) {
  return kNames[static_cast<std::size_t>(route)];
}

RouteClass PublicRoutes::classify(const http::Request& request) const {
  const std::string_view path = request.path;
  if (path == "/healthz" || path == "/readyz") return RouteClass::health;
  if (path == "/signin-oidc") return RouteClass::login;
  if (under(path, bff_base_path)) {
    const auto sub = path.substr(bff_base_path.size());
    if (sub == "/login" || sub == "/logout") return RouteClass::login;
    if (sub == "/backchannel") return RouteClass::backchannel;
    return RouteClass::bff;
  }
  for (const auto& prefix : api_paths)
    if (under(path, prefix)) return RouteClass::api;
  for (const auto& prefix : local_paths)
    if (under(path, prefix)) return RouteClass::local;
  return static_site ? RouteClass::static_files : RouteClass::other;
}

RouteClass classify_admin(const http::Request& request) {
  return request.path == "/metrics" ? RouteClass::metrics : RouteClass::admin;
}

GatewayRequestObserver::GatewayRequestObserver(Classify classify, bool access_lines,
                                               metrics::Registry& registry)
    : classify_(std::move(classify)),
      access_lines_(access_lines),
      requests_(&registry.counter_family("gatehouse_http_requests_total",
                                         "HTTP requests answered, by route class and status code.",
                                         {"route", "code"})) {
  auto& durations = registry.histogram_family(
      "gatehouse_http_request_duration_seconds",
      "Time from a request's complete head to its answer written, by route class.", {"route"});
  for (std::size_t r = 0; r < kRouteClasses; ++r) durations_[r] = &durations.with({kNames[r]});
}

metrics::Counter& GatewayRequestObserver::requests(RouteClass route, int status) {
  auto& slot = counters_[static_cast<std::size_t>(route)][static_cast<std::size_t>(status)];
  if (auto* known = slot.load(std::memory_order_acquire)) return *known;
  const std::string code = std::to_string(status);
  auto& counter = requests_->with({to_string(route), code});  // the same child on every thread
  slot.store(&counter, std::memory_order_release);
  return counter;
}

void GatewayRequestObserver::completed(const http::RequestRecord& record) noexcept {
  try {
    const RouteClass route = record.request ? classify_(*record.request) : RouteClass::invalid;
    const bool answered = record.status >= 100 && record.status < kStatuses;
    if (answered) {
      requests(route, record.status).inc();
      durations_[static_cast<std::size_t>(route)]->observe(record.duration);
    }
    if (!access_lines_) return;
    // Load balancers probe health every few seconds: their lines only at debug.
    const auto level = route == RouteClass::health ? spdlog::level::debug : spdlog::level::info;
    auto* logger = spdlog::default_logger_raw();
    if (!logger->should_log(level)) return;
    const std::string_view id = record.request ? std::string_view(record.request->request_id) : "-";
    const std::string_view method = record.request ? clip(record.request->method, 32) : "-";
    const std::string_view path = record.request ? clip(record.request->path, 512) : "-";
    const double ms = std::chrono::duration<double, std::milli>(record.duration).count();
    const logging::RequestFields fields{.request_id = id,
                                        .method = method,
                                        .path = path,
                                        .route = to_string(route),
                                        .status = record.status,
                                        .duration_ms = ms};
    const logging::RequestFieldsScope scope(fields);
    if (logging::json_lines())
      logger->log(level, "{} {} {}", method, path, record.status);
    else {
      // A decoded path may hold a newline: escaped, so no request can forge a log line.
      std::string safe_path;
      logging::append_json_escaped(safe_path, path);
      logger->log(level, "{} {} {} {:.3f} ms route={} request_id={}", method, safe_path,
                  record.status, ms, to_string(route), id);
    }
  } catch (...) {
    // A log line that cannot be formatted must not take the connection down.
  }
}

}  // namespace gatehouse::bff
