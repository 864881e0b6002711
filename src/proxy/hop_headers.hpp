// Which headers cross the proxy: the hop-by-hop rules of RFC 9110 7.6.1 (the fixed list and
// every name a Connection header lists), and what the gateway keeps to itself (the browser's
// cookies, CSRF header and credentials going up; the upstream's cookies coming down). Pure
// functions over untrusted header lists, fuzzed by fuzz/proxy.
#pragma once

#include "http/message.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::proxy {

// Names a Connection header lists (comma-separated tokens, any case), lower-cased.
std::vector<std::string> connection_tokens(const http::Fields& headers);

// RFC 9110 7.6.1: Connection, Proxy-Connection, Keep-Alive, TE, Transfer-Encoding, Upgrade,
// Trailer, Proxy-Authenticate, Proxy-Authorization, and any name in `listed`.
bool is_hop_by_hop(std::string_view name, const std::vector<std::string>& listed);

struct RequestHeaderPolicy {
  bool websocket = false;  // keep Upgrade: websocket and Connection: Upgrade for a handshake
};

// The browser's headers as they go upstream: hop-by-hop headers, Host, Content-Length, Expect,
// Cookie, X-CSRF, Authorization, DPoP, Forwarded/X-Forwarded-* (set anew by the gateway) and
// traceparent/tracestate (passed on or replaced by the caller) removed.
http::Fields upstream_request_headers(const http::Fields& browser,
                                      const RequestHeaderPolicy& policy);

// The upstream's headers as they go to the browser: hop-by-hop headers and the framing ones
// removed (the server frames the answer itself), Set-Cookie removed and counted (the browser's
// cookie jar belongs to the gateway). A 101 keeps Upgrade.
struct ResponseHeaders {
  http::Fields headers;
  std::size_t dropped_cookies = 0;
};
ResponseHeaders browser_response_headers(const http::Fields& upstream, int status);

// A W3C traceparent (version 00, non-zero ids), or nullopt: an invalid one is replaced.
bool is_valid_traceparent(std::string_view value);
// A fresh traceparent with random ids, sampled flag unset.
std::string new_traceparent();

}  // namespace gatehouse::proxy
