// Graceful shutdown: a request in progress is finished and answered, idle keep-alive
// connections are closed, new connections are refused, and the server's run loop ends.
#include "server_thread.hpp"

#include <gtest/gtest.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <future>

namespace gatehouse::http {
namespace {

using namespace std::chrono_literals;

struct SlowHandler {
  std::shared_ptr<std::promise<void>> entered = std::make_shared<std::promise<void>>();
  std::chrono::milliseconds delay;

  boost::asio::awaitable<Response> operator()(Request& req) const {
    if (req.path != "/slow") co_return text(200, "fast");
    entered->set_value();
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    timer.expires_after(delay);
    co_await timer.async_wait(boost::asio::use_awaitable);
    co_return text(200, "slow done");
  }
};

TEST(HttpShutdown, FinishesInFlightRequestsAndRefusesNewOnes) {
  SlowHandler handler{.delay = 300ms};
  auto entered = handler.entered->get_future();
  testing::ServerThread server(testing::local_options(), handler);
  const auto port = server.port();

  testing::RawConnection idle(port);
  idle.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(idle.read_response());
  testing::RawConnection busy(port);
  busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(entered.wait_for(5s), std::future_status::ready);

  auto stopped =
      boost::asio::co_spawn(server.io(), server.server().shutdown(5s), boost::asio::use_future);
  EXPECT_TRUE(idle.read_until_close().closed);  // idle keep-alive: closed at once

  boost::asio::io_context io;
  boost::asio::ip::tcp::socket fresh(io);
  boost::system::error_code ec;
  fresh.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  EXPECT_EQ(ec, boost::asio::error::connection_refused);

  auto answer = busy.read_until_close();
  EXPECT_TRUE(answer.closed);
  EXPECT_EQ(testing::status_of(answer.bytes), 200);
  EXPECT_EQ(testing::body_of(answer.bytes), "slow done");
  EXPECT_TRUE(testing::has_header(answer.bytes, "Connection: close"));

  ASSERT_EQ(stopped.wait_for(5s), std::future_status::ready);
  stopped.get();
  // Nothing of the server is left on the io_context: its run loop ends by itself.
  auto joined = std::async(std::launch::async, [&] { server.thread().join(); });
  EXPECT_EQ(joined.wait_for(5s), std::future_status::ready);
}

TEST(HttpShutdown, CancelsRequestsStillRunningAfterGrace) {
  SlowHandler handler{.delay = 60s};
  auto entered = handler.entered->get_future();
  testing::ServerThread server(testing::local_options(), handler);
  testing::RawConnection busy(server.port());
  busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(entered.wait_for(5s), std::future_status::ready);

  const auto started = std::chrono::steady_clock::now();
  server.stop(100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_TRUE(busy.read_until_close().closed);
  EXPECT_EQ(server.server().connection_count(), 0u);
}

}  // namespace
}  // namespace gatehouse::http
