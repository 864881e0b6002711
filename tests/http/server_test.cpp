// The server over real sockets on 127.0.0.1: routing to the handler, keep-alive, pipelining,
// limits, timeouts, handler failures. Framing rejections are in framing_test.cpp.
#include "server_thread.hpp"

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

namespace gatehouse::http {
namespace {

using testing::body_of;
using testing::has_header;
using testing::RawConnection;
using testing::ServerThread;
using testing::status_of;

boost::asio::awaitable<void> wait_for(std::chrono::milliseconds d) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  timer.expires_after(d);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

// Echoes what it saw; "/delay/<ms>" waits first; "/throw" throws.
boost::asio::awaitable<Response> echo(Request& req) {
  if (req.path == "/throw") throw std::runtime_error("handler bug");
  if (req.path.starts_with("/delay/"))
    co_await wait_for(std::chrono::milliseconds(std::stoi(req.path.substr(7))));
  co_return text(200, req.method + " " + req.path + " q=" + req.query_param("q").value_or("-") +
                          " body=" + req.body);
}

TEST(HttpServer, AnswersGetAndPost) {
  ServerThread server(testing::local_options(), echo);
  RawConnection c(server.port());
  c.send("GET /a%20b?q=x%2By HTTP/1.1\r\nHost: t\r\n\r\n");
  auto get = c.read_response();
  ASSERT_TRUE(get);
  EXPECT_EQ(status_of(*get), 200);
  EXPECT_EQ(body_of(*get), "GET /a b q=x+y body=");
  EXPECT_TRUE(has_header(*get, "X-Content-Type-Options: nosniff"));
  EXPECT_NE(get->find("\r\nDate: "), std::string::npos);
  EXPECT_TRUE(has_header(*get, "Content-Length: 20"));

  c.send("POST /form HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  auto post = c.read_response();
  ASSERT_TRUE(post);
  EXPECT_EQ(body_of(*post), "POST /form q=- body=hello");

  c.send(
      "POST /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  auto chunked = c.read_response();
  ASSERT_TRUE(chunked);
  EXPECT_EQ(body_of(*chunked), "POST /chunked q=- body=abcde");
}

boost::asio::awaitable<Response> show_target(Request& req) {
  co_return text(
      200, req.target + " " + req.path + " host=" + std::string(req.header("host").value_or("-")));
}

TEST(HttpServer, AbsoluteFormIsServedLikeOriginForm) {
  ServerThread server(testing::local_options(), show_target);
  RawConnection c(server.port());
  const std::string origin = "127.0.0.1:" + std::to_string(server.port());
  c.send("GET http://" + origin + "/bff/user?q=1 HTTP/1.1\r\nHost: " + origin + "\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(status_of(*r), 200) << *r;
  EXPECT_EQ(body_of(*r), "/bff/user?q=1 /bff/user host=" + origin);
  // Another origin is not refused, only routed (on the path) like any request; Host follows
  // the target, as RFC 9112 3.2.2 says.
  c.send("GET http://other.example/x HTTP/1.1\r\nHost: " + origin + "\r\n\r\n");
  auto other = c.read_response();
  ASSERT_TRUE(other);
  EXPECT_EQ(body_of(*other), "/x /x host=other.example");
}

// The fold arrives in a later TCP segment than the line it continues.
TEST(HttpServer, FoldInALaterSegmentIsRefused) {
  ServerThread server(testing::local_options(), echo);
  RawConnection c(server.port());
  int one = 1;
  ::setsockopt(c.socket().native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c.send("POST / HTTP/1.1\r\nHost: x\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // lets the server read it alone
  c.send(" Content-Length: 5\r\n\r\nhello");
  auto r = c.read_until_close();
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(status_of(r.bytes), 400) << r.bytes;
  EXPECT_EQ(body_of(r.bytes), "obsolete line folding in header\n");
  EXPECT_TRUE(has_header(r.bytes, "Connection: close"));
}

TEST(HttpServer, HeadHasLengthButNoBody) {
  ServerThread server(testing::local_options(), echo);
  RawConnection c(server.port());
  c.send("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n");
  auto head = c.read_response(/*head_only=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(status_of(*head), 200);
  EXPECT_TRUE(has_header(*head, "Content-Length: 17"));  // "HEAD /x q=- body="
  EXPECT_EQ(body_of(*head), "");
  // The connection is still in step: the next response starts right away.
  c.send("GET /y HTTP/1.1\r\nHost: t\r\n\r\n");
  auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(body_of(*next), "GET /y q=- body=");
}

TEST(HttpServer, KeepsConnectionAliveAcrossRequests) {
  ServerThread server(testing::local_options(), echo);
  RawConnection c(server.port());
  for (int i = 0; i < 5; ++i) {
    c.send("GET /n" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n");
    auto r = c.read_response();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(body_of(*r), "GET /n" + std::to_string(i) + " q=- body=");
    EXPECT_FALSE(has_header(*r, "Connection: close"));
  }
  EXPECT_EQ(server.server().connection_count(), 1u);
  c.send("GET /last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto last = c.read_until_close();
  EXPECT_TRUE(last.closed);
  EXPECT_TRUE(has_header(last.bytes, "Connection: close"));
}

TEST(HttpServer, Http10ClosesUnlessKeepAliveAsked) {
  ServerThread server(testing::local_options(), echo);
  RawConnection c(server.port());
  c.send("GET /old HTTP/1.0\r\n\r\n");
  auto r = c.read_until_close();
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(status_of(r.bytes), 200);
}

TEST(HttpServer, AnswersPipelinedRequestsInOrder) {
  ServerThread server(testing::local_options(), echo);
  RawConnection c(server.port());
  // The first takes longest: answers must still come back in request order.
  c.send(
      "GET /delay/150 HTTP/1.1\r\nHost: t\r\n\r\n"
      "GET /delay/1 HTTP/1.1\r\nHost: t\r\n\r\n"
      "POST /third HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nz");
  for (std::string expected :
       {"GET /delay/150 q=- body=", "GET /delay/1 q=- body=", "POST /third q=- body=z"}) {
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(body_of(*r), expected);
  }
}

TEST(HttpServer, HandlerExceptionBecomes500) {
  ServerThread server(testing::local_options(), echo);
  RawConnection c(server.port());
  c.send("GET /throw HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(status_of(*r), 500);
  EXPECT_EQ(body_of(*r), "internal server error\n");
  c.send("GET /after HTTP/1.1\r\nHost: t\r\n\r\n");  // the server and connection live on
  auto after = c.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(status_of(*after), 200);
}

TEST(HttpServer, HeaderTooLargeGets431) {
  auto options = testing::local_options();
  options.max_header_bytes = 1024;
  ServerThread server(options, echo);
  RawConnection c(server.port());
  c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
  auto r = c.read_until_close();
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(status_of(r.bytes), 431);
  EXPECT_TRUE(has_header(r.bytes, "Connection: close"));
}

TEST(HttpServer, BodyTooLargeGets413) {
  auto options = testing::local_options();
  options.max_body_bytes = 100;
  ServerThread server(options, echo);
  {
    RawConnection c(server.port());  // announced too large: refused before reading it
    c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n");
    auto r = c.read_until_close();
    EXPECT_TRUE(r.closed);
    EXPECT_EQ(status_of(r.bytes), 413);
  }
  {
    RawConnection c(server.port());  // chunked: found out while reading
    c.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n80\r\n" +
           std::string(128, 'x') + "\r\n0\r\n\r\n");
    auto r = c.read_until_close();
    EXPECT_TRUE(r.closed);
    EXPECT_EQ(status_of(r.bytes), 413);
  }
}

// A browser sends the whole body before it reads: the server refuses, drops what follows for a
// bounded time and amount, and only then closes, so the answer is not lost to a reset.
TEST(HttpServer, AClientStillSendingATooLargeBodyReadsThe413) {
  auto options = testing::local_options();
  options.max_body_bytes = 1024;
  ServerThread server(options, echo);
  RawConnection c(server.port());
  const std::string request = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 12582912\r\n\r\n" +
                              std::string(12 * 1024 * 1024, 'x');
  boost::system::error_code ec;
  boost::asio::write(c.socket(), boost::asio::buffer(request), ec);
  EXPECT_FALSE(ec) << "the server reset the connection while the body was sent: " << ec.message();
  auto r = c.read_until_close();
  EXPECT_EQ(status_of(r.bytes), 413) << r.bytes.substr(0, 200);
}

TEST(HttpServer, SlowClientIsDisconnected) {
  auto options = testing::local_options();
  options.read_timeout = std::chrono::milliseconds(200);
  ServerThread server(options, echo);
  RawConnection c(server.port());
  c.send("GET / HTTP/1.1\r\nHos");  // and then nothing more
  const auto started = std::chrono::steady_clock::now();
  auto r = c.read_until_close();
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.bytes, "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosed) {
  auto options = testing::local_options();
  options.idle_timeout = std::chrono::milliseconds(200);
  ServerThread server(options, echo);
  RawConnection c(server.port());
  c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(c.read_response());
  EXPECT_TRUE(c.read_until_close().closed);
}

TEST(HttpServer, ListenFailureNamesTheAddress) {
  ServerThread first(testing::local_options(), echo);
  auto options = testing::local_options();
  options.listen = {"127.0.0.1:" + std::to_string(first.port())};
  boost::asio::io_context io;
  Server second(io.get_executor(), options, echo);
  try {
    second.listen();
    FAIL() << "bind to a used port succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(options.listen[0]), std::string::npos) << e.what();
  }
}

TEST(HttpServer, RejectsBadOptions) {
  boost::asio::io_context io;
  auto options = testing::local_options();
  options.listen = {"::1:80"};
  EXPECT_THROW(Server(io.get_executor(), options, echo), std::invalid_argument);
  options.listen = {"[::1]:99999"};
  EXPECT_THROW(Server(io.get_executor(), options, echo), std::invalid_argument);
}

// ServerOptions::connection_executors: connections go to the given single-threaded io_contexts
// in turn, every request of one connection on that context's thread; shutdown still drains them.
TEST(HttpServerThreads, ConnectionsAreSpreadOverSingleThreadedContexts) {
  constexpr int kContexts = 2, kConnections = 6, kRequests = 4;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  auto options = testing::local_options();
  for (int n = 0; n < kContexts; ++n) {
    contexts.push_back(std::make_unique<boost::asio::io_context>(1));
    guards.push_back(boost::asio::make_work_guard(*contexts.back()));
    options.connection_executors.push_back(contexts.back()->get_executor());
  }
  // The answer names the context whose thread ran the handler.
  std::mutex ids_mutex;  // written here, read on the contexts' threads
  std::vector<std::thread::id> ids(kContexts);
  auto which = [&ids, &ids_mutex](Request&) -> boost::asio::awaitable<Response> {
    const auto me = std::this_thread::get_id();
    std::lock_guard lock(ids_mutex);
    for (std::size_t n = 0; n < ids.size(); ++n)
      if (ids[n] == me) co_return text(200, std::to_string(n));
    co_return text(200, "elsewhere");
  };
  for (int n = 0; n < kContexts; ++n)
    threads.emplace_back([&ids, &contexts, n] { contexts[n]->run(); });
  {
    std::lock_guard lock(ids_mutex);
    for (int n = 0; n < kContexts; ++n) ids[n] = threads[n].get_id();
  }
  {
    ServerThread server(options, which);
    std::vector<std::unique_ptr<RawConnection>> connections;
    for (int c = 0; c < kConnections; ++c)
      connections.push_back(std::make_unique<RawConnection>(server.port()));
    std::vector<std::string> served_by(kConnections);
    for (int r = 0; r < kRequests; ++r)
      for (int c = 0; c < kConnections; ++c) {
        connections[c]->send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        auto answer = connections[c]->read_response();
        ASSERT_TRUE(answer) << "connection " << c << ", request " << r;
        const auto by = body_of(*answer);
        if (r == 0) served_by[c] = by;
        EXPECT_EQ(by, served_by[c]) << "connection " << c << " moved, request " << r;
      }
    // In turn: connection c on context c % kContexts (they were accepted in order).
    for (int c = 0; c < kConnections; ++c)
      EXPECT_EQ(served_by[c], std::to_string(c % kContexts)) << "connection " << c;
    EXPECT_EQ(server.server().connection_count(), static_cast<std::size_t>(kConnections));
    server.stop(std::chrono::milliseconds(2000));  // idle connections on other threads close
    EXPECT_EQ(server.server().connection_count(), 0u);
    for (auto& c : connections) EXPECT_TRUE(c->read_until_close().closed);
    // The contexts' threads finish before the server's io_context goes (with `server`): a
    // connection's last step on them releases the server's state, whose strand belongs to that
    // context (a TSan run caught the state released after the context was destroyed).
    guards.clear();
    for (auto& t : threads) t.join();
  }
}

}  // namespace
}  // namespace gatehouse::http
