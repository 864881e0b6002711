// Each ambiguous or malformed request, as raw bytes over TCP: the status, a Connection: close,
// and the connection really closed. The same table runs through the pure parse_request().
#include "http/request_parsing.hpp"
#include "server_thread.hpp"

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

struct Case {
  const char* name;
  std::string bytes;
  int status;
};

std::vector<Case> cases() {
  return {
      {"te_gzip", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
      {"te_chunked_gzip", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
       400},
      {"te_gzip_chunked",
       "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400},
      {"te_twice",
       "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400},
      {"te_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"te_and_cl",
       "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n",
       400},
      {"cl_and_te",
       "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
       "0\r\n\r\n",
       400},
      {"cl_duplicate_same",
       "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400},
      {"cl_duplicate_differ",
       "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy", 400},
      {"cl_list", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1, 1\r\n\r\nx", 400},
      {"cl_not_number", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n", 400},
      {"cl_negative", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400},
      {"bad_request_line", "GARBAGE\r\n\r\n", 400},
      {"space_in_target", "GET /a b HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"version_2", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 400},
      {"version_1_2", "GET / HTTP/1.2\r\nHost: t\r\n\r\n", 400},  // Beast: 1.0/1.1 only
      {"no_host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"absolute_form", "GET http://evil/ HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"asterisk_form", "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"nul_in_path", "GET /a%00b HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"bad_escape_in_path", "GET /a%zz HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      // Beast turns obs-fold into spaces (RFC 9112 5.2 allows that), so a fold can't sneak a
      // second coding past the Transfer-Encoding check.
      {"te_folded", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n , gzip\r\n\r\n",
       400},
      {"bad_chunk", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"header_too_large",
       "GET / HTTP/1.1\r\nHost: t\r\nX: " + std::string(20 * 1024, 'a') + "\r\n\r\n", 431},
      {"body_too_large", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n", 413},
  };
}

class Framing : public ::testing::TestWithParam<Case> {};

boost::asio::awaitable<Response> ok(Request&) {
  co_return text(200, "ok");
}

TEST_P(Framing, RefusedAndClosedOverTcp) {
  testing::ServerThread server(testing::local_options(), ok);
  testing::RawConnection c(server.port());
  c.send(GetParam().bytes);
  auto r = c.read_until_close();
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(testing::status_of(r.bytes), GetParam().status) << r.bytes;
  EXPECT_TRUE(testing::has_header(r.bytes, "Connection: close")) << r.bytes;
  EXPECT_TRUE(testing::has_header(r.bytes, "Content-Type: text/plain; charset=utf-8"));
}

TEST_P(Framing, RefusedByParseRequest) {
  const auto out = parse_request(GetParam().bytes, ParseLimits{});
  ASSERT_TRUE(out.error) << GetParam().name;
  EXPECT_EQ(out.error->status, GetParam().status);
  EXPECT_FALSE(out.request);
}

INSTANTIATE_TEST_SUITE_P(HttpServer, Framing, ::testing::ValuesIn(cases()),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(ParseRequest, AcceptsValidRequestsAndSplitsTarget) {
  const std::string bytes =
      "POST /p%C3%A4th/x?code=a%2Bb&state=s HTTP/1.1\r\nHost: h\r\nCookie: a=1; b=\"2\"\r\n"
      "Content-Length: 3\r\n\r\nabcGET /next";
  const auto out = parse_request(bytes, ParseLimits{});
  ASSERT_TRUE(out.request) << (out.error ? out.error->reason : "incomplete");
  const auto& r = *out.request;
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/p\xC3\xA4th/x");
  EXPECT_EQ(r.query, "code=a%2Bb&state=s");
  EXPECT_EQ(r.query_param("code"), "a+b");
  EXPECT_EQ(r.body, "abc");
  EXPECT_EQ(r.header("content-length"), "3");
  EXPECT_EQ(out.consumed, bytes.size() - std::string("GET /next").size());
  const Fields expected{{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(r.cookies(), expected);
}

TEST(ParseRequest, ReportsIncompleteInput) {
  const auto out = parse_request("GET / HTTP/1.1\r\nHost: h\r\n", ParseLimits{});
  EXPECT_FALSE(out.request);
  EXPECT_FALSE(out.error);
  const auto body =
      parse_request("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nab", ParseLimits{});
  EXPECT_FALSE(body.request);
  EXPECT_FALSE(body.error);
}

}  // namespace
}  // namespace gatehouse::http
