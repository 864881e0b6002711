// Internal: an operation raced against a timer on the caller's executor; the loser is
// cancelled. nullopt when the time ran out.
#pragma once

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <optional>
#include <utility>

namespace gatehouse::proxy {

template <class T>
boost::asio::awaitable<std::optional<T>> within(std::chrono::milliseconds limit,
                                                boost::asio::awaitable<T> operation) {
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, limit);
  auto deadline = timer.async_wait(boost::asio::use_awaitable);
  auto outcome = co_await (std::move(operation) || std::move(deadline));
  if (outcome.index() == 1) co_return std::nullopt;
  co_return std::get<0>(std::move(outcome));
}

}  // namespace gatehouse::proxy
