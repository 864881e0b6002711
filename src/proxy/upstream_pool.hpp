// Internal (Asio inside): keep-alive connections to one upstream origin, shared by every
// request and every io thread. A connection is used by one request at a time; idle ones are
// kept (bounded in number and age) and checked before reuse. Timeouts are the caller's (timers
// on the caller's executor), so a connection carries no executor-bound state between uses and
// may move between threads.
#pragma once

#include "proxy/route_table.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

namespace gatehouse::proxy {

using TcpSocket = boost::asio::ip::tcp::socket;
using TlsSocket = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

struct UpstreamConnection {
  std::variant<TcpSocket, TlsSocket> stream;
  boost::beast::flat_buffer buffer;  // bytes read past the last response (none when reusable)
  std::chrono::steady_clock::time_point idle_since{};
  bool reused = false;  // taken from the pool (it may have been closed by the upstream since)

  TcpSocket& socket();
};

struct PoolOptions {
  std::size_t max_idle = 64;                       // idle connections kept per origin
  std::chrono::milliseconds max_idle_time{4'000};  // below common upstream keep-alive timeouts
  std::optional<std::string> ca_file;              // PEM bundle instead of the system store
};

class UpstreamPool {
 public:
  // Throws std::runtime_error when a TLS context cannot be set up (bad ca_file).
  UpstreamPool(UpstreamTarget target, PoolOptions options);

  const UpstreamTarget& target() const { return target_; }

  // An idle connection that still looks open, or a new one (resolve, connect, TLS with the
  // host name verified) made on `executor` within `connect_timeout`. `fresh` skips the pool.
  boost::asio::awaitable<boost::system::result<std::unique_ptr<UpstreamConnection>>> acquire(
      boost::asio::any_io_executor executor, std::chrono::milliseconds connect_timeout,
      bool fresh = false);

  // Back to the pool after a complete, keep-alive exchange.
  void release(std::unique_ptr<UpstreamConnection> connection);

  std::size_t idle_count() const;

 private:
  std::unique_ptr<UpstreamConnection> take_idle();

  UpstreamTarget target_;
  PoolOptions options_;
  std::optional<boost::asio::ssl::context> tls_;
  mutable std::mutex mutex_;
  std::deque<std::unique_ptr<UpstreamConnection>> idle_;  // most recently used at the back
};

}  // namespace gatehouse::proxy
