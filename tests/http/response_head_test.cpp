// The connection writes a response head it renders itself (one buffer instead of Beast's buffer
// per header line): it must be byte for byte what Beast's serializer writes.
#include "http/detail/response_builder.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/write.hpp>

#include <sstream>
#include <string>

namespace gatehouse::http::detail {
namespace {

// What Beast writes for the message's head (the serializer's own header pass).
template <class Body>
std::string beast_head(const bhttp::response<Body>& m) {
  std::ostringstream out;
  out << m.base();
  return out.str();
}

template <class Body>
std::string ours(const bhttp::response<Body>& m) {
  std::string out = "left over from the last response";
  render_head(m, out);
  return out;
}

TEST(ResponseHead, IsWhatBeastWritesForTheGatewaysResponses) {
  ResponseContext ctx{.request_id = "req-1"};
  Response json = text(200, "{}");
  json.headers.push_back({"Content-Type", "application/json"});
  json.headers.push_back({"Cache-Control", "no-store"});
  auto prepared = prepare_response(std::move(json), ctx);
  const auto& m = std::get<0>(prepared);
  EXPECT_EQ(ours(m), beast_head(m));
  EXPECT_TRUE(ours(m).starts_with("HTTP/1.1 200 OK\r\n")) << ours(m);
  EXPECT_TRUE(ours(m).ends_with("\r\n\r\n"));
  EXPECT_NE(ours(m).find("Content-Length: 2\r\n"), std::string::npos);
}

TEST(ResponseHead, StatusLinesOfEveryKind) {
  for (unsigned version : {10u, 11u})
    for (unsigned code : {100u, 101u, 204u, 302u, 304u, 401u, 404u, 418u, 451u, 503u, 599u}) {
      bhttp::response<bhttp::empty_body> m{static_cast<bhttp::status>(code), version};
      m.set(bhttp::field::date, "Tue, 01 Dec 2026 21:00:00 GMT");
      m.insert("Set-Cookie", "a=1");
      m.insert("Set-Cookie", "b=2");  // repeated fields, in order
      m.insert("X-Custom", "");       // an empty value
      EXPECT_EQ(ours(m), beast_head(m)) << version << " " << code;
    }
}

TEST(ResponseHead, AnExplicitReasonAndTheRefusalAnswer) {
  bhttp::response<bhttp::string_body> m{bhttp::status::ok, 11};
  m.reason("Fine");
  m.body() = "x";
  m.prepare_payload();
  EXPECT_EQ(ours(m), beast_head(m));
  EXPECT_TRUE(ours(m).starts_with("HTTP/1.1 200 Fine\r\n"));

  auto refused = prepare_error(400, "bad request line");
  std::visit([](const auto& r) { EXPECT_EQ(ours(r), beast_head(r)); }, refused);
}

}  // namespace
}  // namespace gatehouse::http::detail
