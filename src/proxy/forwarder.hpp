// The HTTP exchange with the upstream for one proxied request: the request head and body
// streamed up, the response head and body streamed down, each direction bounded in time;
// upstream failures answered 502/504 (and logged) before anything reached the browser, a
// WebSocket handshake turned into a byte tunnel after the upstream's 101.
#pragma once

#include "http/exchange.hpp"
#include "proxy/route_table.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace gatehouse::proxy {

class UpstreamPool;

struct ForwardRequest {
  const ProxyRoute* route = nullptr;
  std::string method;
  std::string target;    // upstream origin-form target: base path + remainder + query
  http::Fields headers;  // everything but Host and the framing headers
  bool websocket = false;
  std::chrono::milliseconds write_timeout{30'000};  // each chunk sent upstream
  std::function<void(std::string)> on_dpop_nonce;   // the answer's DPoP-Nonce, when it has one
  // A new DPoP header once the nonce is remembered: a bodyless call the upstream refused with
  // use_dpop_nonce (RFC 9449 9) is sent once more with it, instead of passing the 401 on.
  std::function<std::string()> dpop_retry;
};

enum class ForwardOutcome {
  completed,             // the upstream's answer reached the browser whole
  upstream_unreachable,  // 502 answered (connect, TLS, or no response head)
  upstream_timeout,      // 504 answered (no response head within response_timeout)
  request_refused,       // the browser's body broke a limit (413) or could not be read
  client_gone,           // the browser went away; the upstream request was abandoned
  broken,                // failed midway (after the answer began): the connection is closed
};

const char* to_string(ForwardOutcome outcome);

boost::asio::awaitable<ForwardOutcome> forward(UpstreamPool& pool, ForwardRequest request,
                                               http::Exchange& client);

// An RFC 9457 problem document (application/problem+json, no-store).
http::Response problem_response(int status, std::string detail);

}  // namespace gatehouse::proxy
