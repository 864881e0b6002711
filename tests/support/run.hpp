// Test support: run a coroutine to completion on an io_context, and a clock tests move by hand.
#pragma once

#include <gatehouse/session/clock.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <memory>

namespace gatehouse::testing {

template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> aw) {
  auto future = boost::asio::co_spawn(io, std::move(aw), boost::asio::use_future);
  io.restart();
  io.run();
  return future.get();
}

class ManualClock {
 public:
  explicit ManualClock(Timestamp start = Timestamp(std::chrono::milliseconds(1'800'000'000'000)))
      : now_(std::make_shared<std::atomic<std::int64_t>>(start.time_since_epoch().count())) {}

  Timestamp now() const { return Timestamp(std::chrono::milliseconds(now_->load())); }
  void advance(std::chrono::milliseconds d) { now_->fetch_add(d.count()); }
  Clock clock() const {
    return [n = now_] { return Timestamp(std::chrono::milliseconds(n->load())); };
  }

 private:
  std::shared_ptr<std::atomic<std::int64_t>> now_;
};

}  // namespace gatehouse::testing
