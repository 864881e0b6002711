#include "http/client.hpp"

#include "run.hpp"
#include "self_signed.hpp"
#include "server_thread.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace gatehouse::http {
namespace {

using namespace std::chrono_literals;

boost::asio::awaitable<Response> echo(Request& req) {
  if (req.path == "/big") co_return text(200, std::string(5000, 'b'));
  auto r = text(201, req.method + " " + req.target + " " + req.body);
  r.headers.emplace_back("X-Seen-Auth", std::string(req.header("Authorization").value_or("")));
  co_return r;
}

ClientResult run_fetch(ClientRequest request) {
  boost::asio::io_context io;
  return testing::run(io, fetch(io.get_executor(), std::move(request)));
}

std::string base(std::uint16_t port) {
  return "http://127.0.0.1:" + std::to_string(port);
}

TEST(HttpClient, GetAndPostAgainstTheServer) {
  testing::ServerThread server(testing::local_options(), echo);
  auto get = run_fetch({.url = base(server.port()) + "/path?a=1&b=%20"});
  ASSERT_TRUE(get) << get.error().message();
  EXPECT_EQ(get->status, 201);
  EXPECT_EQ(get->body, "GET /path?a=1&b=%20 ");

  auto post = run_fetch({.method = "POST",
                         .url = base(server.port()) + "/token",
                         .headers = {{"Authorization", "Basic abc"},
                                     {"Content-Type", "application/x-www-form-urlencoded"}},
                         .body = "grant_type=x"});
  ASSERT_TRUE(post) << post.error().message();
  EXPECT_EQ(post->body, "POST /token grant_type=x");
  EXPECT_EQ(post->header("x-seen-auth"), "Basic abc");
}

TEST(HttpClient, IPv6Literal) {
  auto options = testing::local_options();
  options.listen = {"[::1]:0"};
  boost::asio::io_context probe;
  boost::asio::ip::tcp::acceptor v6(probe);
  boost::system::error_code ec;
  v6.open(boost::asio::ip::tcp::v6(), ec);
  if (!ec) v6.bind({boost::asio::ip::make_address("::1"), 0}, ec);
  if (ec) GTEST_SKIP() << "no IPv6 loopback here";
  testing::ServerThread server(options, echo);
  auto r = run_fetch({.url = "http://[::1]:" + std::to_string(server.port()) + "/six"});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->body, "GET /six ");
}

TEST(HttpClient, TimesOutAgainstSilentServer) {
  boost::asio::io_context io;
  // Listening but never accepting: the kernel completes the handshake, nobody ever answers.
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto started = std::chrono::steady_clock::now();
  auto r = run_fetch({.url = base(silent.local_endpoint().port()) + "/", .timeout = 200ms});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), ClientErrc::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST(HttpClient, RefusesTooLargeBody) {
  testing::ServerThread server(testing::local_options(), echo);
  auto r = run_fetch({.url = base(server.port()) + "/big", .max_body = 1000});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), ClientErrc::too_large);
  auto fits = run_fetch({.url = base(server.port()) + "/big", .max_body = 5000});
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->body.size(), 5000u);
}

TEST(HttpClient, RejectsBadUrls) {
  for (const char* url : {"", "not a url", "ftp://host/x", "/relative", "http://", "http:///x",
                          "http://user:pw@host/", "http://host:99999999999/"}) {
    auto r = run_fetch({.url = url});
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error(), ClientErrc::bad_url) << url;
  }
}

TEST(HttpClient, ConnectFailure) {
  std::uint16_t port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }  // closed again: nothing listens there now
  auto r = run_fetch({.url = base(port) + "/"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), ClientErrc::connect_failed);
}

TEST(HttpClient, HttpsRoundTripWithTrustedCa) {
  testing::TempDir dir;
  const auto cert = testing::make_self_signed(dir.path());
  auto options = testing::local_options();
  options.tls = TlsFiles{cert.certificate, cert.private_key};
  testing::ServerThread server(options, echo);
  const auto url = "https://127.0.0.1:" + std::to_string(server.port()) + "/secure";

  auto ok = run_fetch({.url = url, .ca_file = cert.certificate.string()});
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->status, 201);
  EXPECT_EQ(ok->body, "GET /secure ");

  auto untrusted = run_fetch({.url = url});  // system store: does not know our certificate
  ASSERT_FALSE(untrusted);
  EXPECT_EQ(untrusted.error(), ClientErrc::tls_failed);

  // Trusted certificate, but issued for 127.0.0.1 only: a different name must fail.
  auto wrong_name = run_fetch({.url = "https://localhost:" + std::to_string(server.port()) + "/",
                               .ca_file = cert.certificate.string()});
  ASSERT_FALSE(wrong_name);
  EXPECT_TRUE(wrong_name.error() == ClientErrc::tls_failed ||
              wrong_name.error() == ClientErrc::connect_failed)  // localhost may be ::1 only
      << wrong_name.error().message();
}

}  // namespace
}  // namespace gatehouse::http
