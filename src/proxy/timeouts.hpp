// Internal: an operation raced against a timer on the caller's executor; the loser is
// cancelled. nullopt when the time ran out.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <optional>
#include <utility>

namespace gatehouse::proxy {

namespace detail {

// Asio's || flattens variants (a || b, then || timer, is one variant of three), so the
// operation's result travels in a box of its own.
template <class T>
struct Boxed {
  T value;
};

template <class T>
boost::asio::awaitable<Boxed<T>> boxed(boost::asio::awaitable<T> operation) {
  // Named first: g++ 12 mishandles a co_await inside a braced initializer.
  T value = co_await std::move(operation);
  co_return Boxed<T>{std::move(value)};
}

}  // namespace detail

template <class T>
boost::asio::awaitable<std::optional<T>> within(std::chrono::milliseconds limit,
                                                boost::asio::awaitable<T> operation) {
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, limit);
  auto work = detail::boxed(std::move(operation));
  // as_tuple: the loser is cancelled, and a cancelled wait must not cost an exception.
  auto deadline = timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  auto outcome = co_await (std::move(work) || std::move(deadline));
  if (outcome.index() != 0) co_return std::nullopt;
  co_return std::move(std::get<0>(outcome).value);
}

}  // namespace gatehouse::proxy
