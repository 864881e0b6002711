// Internal: asks the awaiting coroutine's cancellation state whether it was cancelled already.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

namespace gatehouse::detail {

inline boost::asio::awaitable<bool> cancellation_requested() {
  auto state = co_await boost::asio::this_coro::cancellation_state;
  co_return state.cancelled() != boost::asio::cancellation_type::none;
}

}  // namespace gatehouse::detail
