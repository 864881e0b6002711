// What crosses the proxy: RFC 9110 7.6.1 hop-by-hop rules, the gateway's own headers, traces.
#include "proxy/hop_headers.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace gatehouse::proxy {
namespace {

bool has(const http::Fields& fields, std::string_view name) {
  return std::any_of(fields.begin(), fields.end(),
                     [&](const auto& f) { return http::iequals(f.first, name); });
}

TEST(HopHeaders, ConnectionListsTokensAnyCaseAcrossHeaders) {
  const http::Fields h{{"Connection", "keep-alive, X-Secret ,x-other"}, {"connection", "Upgrade"}};
  EXPECT_EQ(connection_tokens(h),
            (std::vector<std::string>{"keep-alive", "x-secret", "x-other", "upgrade"}));
  EXPECT_TRUE(is_hop_by_hop("X-SECRET", connection_tokens(h)));
  EXPECT_TRUE(is_hop_by_hop("Proxy-Authorization", {}));
  EXPECT_TRUE(is_hop_by_hop("te", {}));
  EXPECT_FALSE(is_hop_by_hop("X-Custom", connection_tokens(h)));
}

TEST(HopHeaders, TheBrowsersCredentialsAndHopHeadersNeverGoUp) {
  const http::Fields browser{{"Host", "gateway"},
                             {"Cookie", "__Host-gatehouse=secret"},
                             {"X-CSRF", "1"},
                             {"Authorization", "Bearer forged"},
                             {"DPoP", "forged"},
                             {"Connection", "close, X-Hop"},
                             {"X-Hop", "1"},
                             {"Keep-Alive", "timeout=5"},
                             {"TE", "trailers"},
                             {"Transfer-Encoding", "chunked"},
                             {"Content-Length", "3"},
                             {"Upgrade", "websocket"},
                             {"Expect", "100-continue"},
                             {"X-Forwarded-For", "1.2.3.4"},
                             {"Forwarded", "for=1.2.3.4"},
                             {"traceparent", "00-..."},
                             {"Accept", "application/json"},
                             {"X-Custom", "kept"}};
  const auto up = upstream_request_headers(browser, {});
  for (const auto* gone : {"Host", "Cookie", "X-CSRF", "Authorization", "DPoP", "Connection",
                           "X-Hop", "Keep-Alive", "TE", "Transfer-Encoding", "Content-Length",
                           "Upgrade", "Expect", "X-Forwarded-For", "Forwarded", "traceparent"})
    EXPECT_FALSE(has(up, gone)) << gone;
  EXPECT_TRUE(has(up, "Accept"));
  EXPECT_TRUE(has(up, "X-Custom"));
  const auto ws = upstream_request_headers(browser, {.websocket = true});
  EXPECT_TRUE(has(ws, "Upgrade"));
  EXPECT_TRUE(has(ws, "Connection"));
}

TEST(HopHeaders, TheUpstreamsCookiesAndFramingNeverComeDown) {
  const http::Fields upstream{{"Set-Cookie", "a=1"},          {"set-cookie", "b=2"},
                              {"Content-Length", "10"},       {"Transfer-Encoding", "chunked"},
                              {"Connection", "X-Internal"},   {"X-Internal", "1"},
                              {"Content-Type", "text/plain"}, {"Upgrade", "h2c"}};
  const auto down = browser_response_headers(upstream, 200);
  EXPECT_EQ(down.dropped_cookies, 2u);
  for (const auto* gone :
       {"Set-Cookie", "Content-Length", "Transfer-Encoding", "Connection", "X-Internal", "Upgrade"})
    EXPECT_FALSE(has(down.headers, gone)) << gone;
  EXPECT_TRUE(has(down.headers, "Content-Type"));
  const auto upgraded =
      browser_response_headers({{"Upgrade", "websocket"}, {"Sec-WebSocket-Accept", "x"}}, 101);
  EXPECT_TRUE(has(upgraded.headers, "Upgrade"));
  EXPECT_TRUE(has(upgraded.headers, "Connection"));
  EXPECT_TRUE(has(upgraded.headers, "Sec-WebSocket-Accept"));
}

TEST(HopHeaders, TraceparentIsCheckedAndMadeAnew) {
  EXPECT_TRUE(is_valid_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  EXPECT_FALSE(is_valid_traceparent("00-00000000000000000000000000000000-b7ad6b7169203331-01"));
  EXPECT_FALSE(is_valid_traceparent("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"));
  EXPECT_FALSE(is_valid_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  EXPECT_FALSE(is_valid_traceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"));
  EXPECT_FALSE(is_valid_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"));
  const auto fresh = new_traceparent();
  EXPECT_TRUE(is_valid_traceparent(fresh)) << fresh;
  EXPECT_NE(fresh, new_traceparent());
}

}  // namespace
}  // namespace gatehouse::proxy
