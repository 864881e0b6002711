// Which [[api]] route a request belongs to, and where it goes.
#include "proxy/route_table.hpp"

#include <gtest/gtest.h>

namespace gatehouse::proxy {
namespace {

config::ApiRoute route(std::string path, std::string upstream) {
  config::ApiRoute r;
  r.path = std::move(path);
  r.upstream = std::move(upstream);
  return r;
}

TEST(RouteTable, TheLongestPrefixOnASegmentBoundaryWins) {
  RouteTable table({route("/api", "http://127.0.0.1:9001/api"),
                    route("/api/orders", "https://orders.internal:8443/v2/orders/"),
                    route("/b", "http://[::1]:9002")});
  auto orders = table.match("/api/orders/42?expand=lines");
  ASSERT_TRUE(orders);
  EXPECT_EQ(orders->route->index, 1u);
  EXPECT_EQ(orders->upstream_target, "/v2/orders/42?expand=lines");
  EXPECT_EQ(orders->route->upstream.origin, "https://orders.internal:8443");
  EXPECT_EQ(orders->route->upstream.host_header, "orders.internal:8443");
  EXPECT_TRUE(orders->route->upstream.tls);

  auto exact = table.match("/api/orders");
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->upstream_target, "/v2/orders");
  auto other = table.match("/api/ordersx");
  ASSERT_TRUE(other) << "not /api/orders: the segment differs";
  EXPECT_EQ(other->route->index, 0u);
  EXPECT_EQ(other->upstream_target, "/api/ordersx");

  auto root = table.match("/b?x");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->upstream_target, "/?x");
  EXPECT_EQ(root->route->upstream.host, "::1");
  EXPECT_FALSE(table.match("/bff/user"));
  EXPECT_FALSE(table.match("/ap%69/orders")) << "an encoded prefix never matches";
  EXPECT_FALSE(table.match("/"));
}

TEST(RouteTable, UpstreamsAreStrictURLs) {
  EXPECT_TRUE(parse_upstream("http://127.0.0.1:9001"));
  EXPECT_TRUE(parse_upstream("https://example.com/x"));
  for (const auto* bad : {"ftp://x/", "http://user:pw@x/", "http://x/?q=1", "http://x/#f",
                          "http://x:0/", "http://x:65536/", "http://x:80.evil/y", "x/y", ""})
    EXPECT_FALSE(parse_upstream(bad)) << bad;
  EXPECT_THROW(RouteTable({route("/a", "ftp://x")}), std::invalid_argument);
}

TEST(RouteTable, DotSegmentsAreFound) {
  EXPECT_TRUE(has_dot_segment("/../admin"));
  EXPECT_TRUE(has_dot_segment("/a/./b"));
  EXPECT_TRUE(has_dot_segment("/a/.."));
  EXPECT_FALSE(has_dot_segment("/a/..b/.c"));
  EXPECT_FALSE(has_dot_segment(""));
}

}  // namespace
}  // namespace gatehouse::proxy
