#include "http/message.hpp"
#include "http/cookie_lookup.hpp"
#include "http/listen_address.hpp"

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

TEST(HttpMessage, HeadersAreCaseInsensitiveAndCounted) {
  Request r;
  r.headers = {{"Host", "a"}, {"X-Thing", "1"}, {"x-thing", "2"}};
  EXPECT_EQ(r.header("HOST"), "a");
  EXPECT_EQ(r.header("x-THING"), "1");
  EXPECT_EQ(r.header_count("X-Thing"), 2u);
  EXPECT_EQ(r.header_count("missing"), 0u);
  EXPECT_FALSE(r.header("missing"));
}

TEST(HttpMessage, QueryParamsDecodeAndCountDuplicates) {
  Request r;
  r.query = "code=a%2Fb&state=x+y&state=z&empty=&flag";
  EXPECT_EQ(r.query_param("code"), "a/b");
  EXPECT_EQ(r.query_param("state"), "x y");
  EXPECT_EQ(r.query_param_count("state"), 2u);
  EXPECT_EQ(r.query_param("empty"), "");
  EXPECT_EQ(r.query_param("flag"), "");
  EXPECT_FALSE(r.query_param("nope"));
  r.query = "code=%zz";
  EXPECT_FALSE(r.query_param("code"));
  EXPECT_EQ(r.query_param_count("code"), 0u);
}

TEST(HttpMessage, CookiesFromEveryCookieHeader) {
  Request r;
  r.headers = {{"Cookie", "a=1; b = 2 ;junk; =x"}, {"cookie", "c=\"3\""}};
  const Fields expected{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  EXPECT_EQ(r.cookies(), expected);
}

// find_cookie_value finds what the first pair of that name in cookies() holds, without the list.
TEST(HttpMessage, OneCookieIsTheFirstOfThatNameInTheList) {
  Request r;
  r.headers = {{"Cookie", "a=1; b = 2 ;junk; =x; a=again"}, {"cookie", "c=\"3\"; b=later"}};
  EXPECT_EQ(find_cookie_value(r, "a"), "1");
  EXPECT_EQ(find_cookie_value(r, "b"), "2");
  EXPECT_EQ(find_cookie_value(r, "c"), "3");
  EXPECT_FALSE(find_cookie_value(r, "junk"));
  EXPECT_FALSE(find_cookie_value(r, ""));
  EXPECT_FALSE(find_cookie_value(r, "A"));  // names are case-sensitive
  for (const auto& [name, value] : r.cookies()) {
    ASSERT_TRUE(find_cookie_value(r, name)) << name;
  }
  Request none;
  EXPECT_FALSE(find_cookie_value(none, "a"));
}

TEST(HttpMessage, ParseFormIsStrict) {
  const Fields expected{{"a b", "c&d"}, {"e", ""}, {"f", "="}};
  EXPECT_EQ(parse_form("a+b=c%26d&e=&f=%3D"), expected);
  EXPECT_EQ(parse_form(""), Fields{});
  EXPECT_FALSE(parse_form("a=%"));
  EXPECT_FALSE(parse_form("a=%4"));
  EXPECT_FALSE(parse_form("a=%g0"));
  EXPECT_FALSE(parse_form("a=%00"));
  EXPECT_FALSE(parse_form("a=1&b=2&c=3", 2));
  EXPECT_TRUE(parse_form("a=1&b=2", 2));
}

TEST(HttpMessage, ResponseHelpers) {
  auto t = text(404, "nope");
  EXPECT_EQ(t.status, 404);
  EXPECT_EQ(t.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(json(200, "{}").header("Content-Type"), "application/json");
  auto r = redirect(302, "https://idp/authorize");
  EXPECT_EQ(r.header("Location"), "https://idp/authorize");
  r.set_header("location", "/other");
  EXPECT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.header("Location"), "/other");
}

TEST(HttpMessage, ListenAddresses) {
  auto v4 = parse_listen_address("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  auto v6 = parse_listen_address("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  EXPECT_EQ(parse_listen_address("localhost:0")->host, "localhost");
  for (const char* bad : {"", "8080", ":80", "host:", "host:65536", "host:8o", "::1:80", "[::1]",
                          "[::1]80", "host:-1"})
    EXPECT_FALSE(parse_listen_address(bad)) << bad;
}

}  // namespace
}  // namespace gatehouse::http
