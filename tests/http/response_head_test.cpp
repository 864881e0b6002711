// The connection writes a response head it renders itself (one buffer instead of Beast's buffer
// per header line): it must be byte for byte what Beast's serializer writes.
#include "http/detail/response_builder.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/write.hpp>

#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

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

// The Date line's value, which may tick between two renders.
std::string without_date(std::string head) {
  const auto at = head.find("\r\nDate: ");
  if (at == std::string::npos) return head;
  const auto end = head.find("\r\n", at + 2);
  return head.replace(at + 8, end - (at + 8), "<date>");
}

// render_response_head (no Beast message) against the Beast path it replaces, over what
// handlers return: every status kind, both versions, HEAD, keep-alive and close, request ids,
// shared bodies, and the headers the server owns or replaces, in any case and repeated.
TEST(ResponseHead, TheDirectRenderingIsWhatTheBeastPathWrites) {
  std::vector<Response> answers;
  answers.push_back(json(200, R"({"sub":"alice"})"));
  answers.push_back(text(404, "not found\n"));
  answers.push_back(text(200, ""));
  answers.push_back(redirect(302, "/somewhere?a=b"));
  for (int status : {100, 103, 204, 205, 299, 304, 400, 418, 451, 503, 599}) {
    Response r = text(status, "body that may be dropped");
    r.headers.push_back({"X-Status", std::to_string(status)});
    answers.push_back(std::move(r));
  }
  Response owned = text(200, "abc");
  owned.headers.push_back({"content-length", "99"});
  owned.headers.push_back({"Transfer-Encoding", "chunked"});
  owned.headers.push_back({"Connection", "upgrade"});
  owned.headers.push_back({"DATE", "yesterday"});
  owned.headers.push_back({"Keep-Alive", "timeout=5"});
  owned.headers.push_back({"x-content-type-options", "sniff-away"});
  owned.headers.push_back({"X-Request-Id", "from-the-handler"});
  owned.headers.push_back({"Set-Cookie", "a=1"});
  owned.headers.push_back({"Set-Cookie", "b=2"});
  owned.headers.push_back({"X-Empty", ""});
  owned.headers.push_back({"X-Split", "a\r\nInjected: yes"});
  owned.headers.push_back({"X-Bad:Name", "v"});
  owned.headers.push_back({"X-Lf", "a\nb"});
  answers.push_back(owned);
  Response shared = json(200, "");
  shared.shared_body = std::make_shared<const std::string>("shared bytes");
  answers.push_back(shared);

  std::size_t compared = 0;
  for (const auto& answer : answers)
    for (unsigned version : {10u, 11u})
      for (bool head : {false, true})
        for (bool keep_alive : {false, true})
          for (std::string_view id : {std::string_view(), std::string_view("req-7")}) {
            const ResponseContext ctx{
                .version = version, .head = head, .keep_alive = keep_alive, .request_id = id};
            std::string direct = "left over";
            ASSERT_TRUE(render_response_head(answer, ctx, direct));
            auto prepared = prepare_response(Response(answer), ctx);
            const auto expected = std::visit([](const auto& m) { return beast_head(m); }, prepared);
            const auto what = std::to_string(answer.status) + " v" + std::to_string(version) +
                              (head ? " HEAD" : "") + (keep_alive ? " keep-alive" : " close") +
                              " id=" + std::string(id);
            EXPECT_EQ(without_date(direct), without_date(expected)) << what;
            // The body that follows is the one the Beast message carries.
            const auto body = response_body(answer, ctx);
            const std::string sent(static_cast<const char*>(body.data()), body.size());
            std::visit(
                [&](const auto& m) {
                  using Body = typename std::decay_t<decltype(m)>::body_type;
                  if constexpr (std::is_same_v<Body, bhttp::string_body>)
                    EXPECT_EQ(sent, m.body()) << what;
                  else if constexpr (std::is_same_v<Body, SharedStringBody>)
                    EXPECT_EQ(sent, *m.body()) << what;
                  else
                    EXPECT_EQ(sent, "") << what;
                },
                prepared);
            ++compared;
          }
  EXPECT_EQ(compared, answers.size() * 16);
}

TEST(ResponseHead, TheDirectRenderingLeavesFilesUpgradesAndBadStatusesToBeast) {
  std::string out = "untouched";
  Response file;
  file.file = "/etc/hostname";
  EXPECT_FALSE(render_response_head(file, {}, out));
  EXPECT_FALSE(render_response_head(text(101, ""), {}, out));
  EXPECT_FALSE(render_response_head(text(99, ""), {}, out));
  EXPECT_FALSE(render_response_head(text(600, ""), {}, out));
  EXPECT_EQ(out, "untouched");
}

}  // namespace
}  // namespace gatehouse::http::detail
