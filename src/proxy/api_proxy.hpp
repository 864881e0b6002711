// The [[api]] routes at request time: which route, the anti-forgery check (X-CSRF, or Origin on
// a WebSocket handshake), the session and its claims, the credential to attach, then the
// streamed exchange with the upstream. Every refusal is an RFC 9457 problem (never a redirect).
//
// Threads: handle() may run on any number of connections and io threads at once; the route
// table is read-only, the upstream pools are thread-safe.
#pragma once

#include "http/exchange.hpp"
#include "proxy/route_table.hpp"
#include "proxy/token_source.hpp"
#include "tickets/ticket_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace gatehouse::proxy {

class UpstreamPool;

struct ApiProxyOptions {
  std::string public_origin;         // "https://app.example.com": X-Forwarded-Proto/Host, Origin
  std::string session_cookie;        // the gateway's session cookie name
  std::string clear_session_cookie;  // the Set-Cookie value that clears it
  std::chrono::milliseconds write_timeout{30'000};
  std::uint64_t max_body = 1024 * 1024;  // server.max_body: for routes without their own
  std::optional<std::string> ca_file;    // extra CA for https upstreams (tests)
};

}  // namespace gatehouse::proxy
namespace gatehouse::metrics {
class Histogram;
}
namespace gatehouse::proxy {

class ApiProxy {
 public:
  // Throws std::invalid_argument for a route the configuration check should have refused.
  ApiProxy(const std::vector<config::ApiRoute>& routes, ApiProxyOptions options,
           std::shared_ptr<tickets::TicketStore> tickets, std::shared_ptr<TokenSource> tokens);
  ~ApiProxy();

  bool empty() const { return routes_.empty(); }
  // Whether `head` belongs to a route (its body is then streamed, not read by the server).
  bool wants(const http::Request& head) const;

  boost::asio::awaitable<void> handle(http::Request& head, http::Exchange& exchange);

 private:
  UpstreamPool& pool_for(const ProxyRoute& route);

  RouteTable routes_;
  ApiProxyOptions options_;
  std::shared_ptr<tickets::TicketStore> tickets_;
  std::shared_ptr<TokenSource> tokens_;
  std::map<std::string, std::unique_ptr<UpstreamPool>> pools_;  // by origin; built up front
  // gatehouse_upstream_duration_seconds{route}, by route index.
  std::vector<metrics::Histogram*> upstream_durations_;
};

}  // namespace gatehouse::proxy
