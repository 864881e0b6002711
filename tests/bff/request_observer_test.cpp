// What the gateway records per request: the route class (bounded, never the raw path), the
// request counter and duration histogram, and one log line whose path cannot forge a line.
#include "bff/request_observer.hpp"
#include "logging/log_format.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <gtest/gtest.h>

#include <sstream>

namespace gatehouse::bff {
namespace {

http::Request request(std::string method, std::string path) {
  http::Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.request_id = "rid-1";
  return r;
}

TEST(RouteClasses, PublicListener) {
  const PublicRoutes routes{.bff_base_path = "/bff",
                            .api_paths = {"/api/orders"},
                            .local_paths = {"/local"},
                            .static_site = true};
  const auto of = [&routes](std::string path) {
    return std::string(to_string(routes.classify(request("GET", std::move(path)))));
  };
  EXPECT_EQ(of("/bff/user"), "bff");
  EXPECT_EQ(of("/bff/sessions/abc"), "bff");
  EXPECT_EQ(of("/bff/login"), "login");
  EXPECT_EQ(of("/bff/logout"), "login");
  EXPECT_EQ(of("/signin-oidc"), "login");
  EXPECT_EQ(of("/bff/backchannel"), "backchannel");
  EXPECT_EQ(of("/api/orders"), "api");
  EXPECT_EQ(of("/api/orders/1"), "api");
  EXPECT_EQ(of("/api/ordersx"), "static") << "segment boundary";
  EXPECT_EQ(of("/local/x"), "local");
  EXPECT_EQ(of("/healthz"), "health");
  EXPECT_EQ(of("/readyz"), "health");
  EXPECT_EQ(of("/bffx"), "static");
  EXPECT_EQ(of("/index.html"), "static");
  EXPECT_EQ(to_string(PublicRoutes{}.classify(request("GET", "/nothing"))), "other");
  EXPECT_EQ(to_string(classify_admin(request("GET", "/metrics"))), "metrics");
  EXPECT_EQ(to_string(classify_admin(request("GET", "/admin/sessions"))), "admin");
}

struct CapturedLog {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  CapturedLog() {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous); }
};

TEST(GatewayRequestObserver, CountsTimesAndLogsOneLine) {
  CapturedLog log;
  logging::apply({.format = config::LogFormat::json, .level = config::LogLevel::info}, false);
  metrics::Registry registry;
  GatewayRequestObserver observer([](const http::Request& r) { return PublicRoutes{}.classify(r); },
                                  true, registry);
  const auto user = request("GET", "/bff/user");
  observer.completed({.request = &user, .status = 200, .duration = std::chrono::milliseconds(3)});
  observer.completed({.request = &user, .status = 200, .duration = std::chrono::milliseconds(1)});
  observer.completed({.request = &user, .status = 401, .duration = std::chrono::milliseconds(1)});
  observer.completed({.request = nullptr, .status = 400, .duration = {}});
  observer.completed({.request = &user, .status = 0, .duration = {}});  // connection failed
  const auto text = registry.render();
  EXPECT_NE(text.find("gatehouse_http_requests_total{route=\"bff\",code=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("gatehouse_http_requests_total{route=\"bff\",code=\"401\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("gatehouse_http_requests_total{route=\"invalid\",code=\"400\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("gatehouse_http_request_duration_seconds_count{route=\"bff\"} 3\n"),
            std::string::npos);
  EXPECT_EQ(text.find("code=\"0\""), std::string::npos);
  const auto lines = log.out.str();
  EXPECT_NE(lines.find("\"request_id\":\"rid-1\",\"method\":\"GET\",\"path\":\"/bff/user\","
                       "\"route\":\"bff\",\"status\":200,\"duration_ms\":3.000"),
            std::string::npos)
      << lines;
  logging::apply({.format = config::LogFormat::text, .level = config::LogLevel::info}, true);
}

TEST(GatewayRequestObserver, TextLinesEscapeThePath) {
  CapturedLog log;
  logging::apply({.format = config::LogFormat::text, .level = config::LogLevel::info}, true);
  metrics::Registry registry;
  GatewayRequestObserver observer([](const http::Request&) { return RouteClass::other; }, true,
                                  registry);
  const auto forged = request("GET", "/x\n2026-01-01 info forged line");
  observer.completed({.request = &forged, .status = 404, .duration = {}});
  const auto text = log.out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_NE(text.find("/x\\n2026-01-01"), std::string::npos) << text;
  EXPECT_NE(text.find("route=other request_id=rid-1"), std::string::npos) << text;
}

TEST(GatewayRequestObserver, WithoutAccessLinesItStillCounts) {
  CapturedLog log;
  logging::apply({.format = config::LogFormat::json, .level = config::LogLevel::trace}, false);
  metrics::Registry registry;
  GatewayRequestObserver observer([](const http::Request&) { return RouteClass::bff; }, false,
                                  registry);
  const auto user = request("GET", "/bff/user");
  observer.completed({.request = &user, .status = 200, .duration = std::chrono::milliseconds(1)});
  EXPECT_NE(registry.render().find("gatehouse_http_requests_total{route=\"bff\",code=\"200\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(log.out.str(), "") << "[log] access = false: no line, at any level";
  logging::apply({.format = config::LogFormat::text, .level = config::LogLevel::info}, true);
}

}  // namespace
}  // namespace gatehouse::bff
