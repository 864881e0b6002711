// Internal: what the acceptor, the connections and shutdown share. Members marked "strand" are
// touched only on that strand; the connection registry is guarded by `mutex`.
#pragma once

#include "http/server.hpp"

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace gatehouse::http::detail {

using Strand = boost::asio::strand<boost::asio::any_io_executor>;

// "strand" below: the connection's executor, which runs one handler at a time: a strand of the
// server's executor, or an io_context run by one thread (ServerOptions::connection_executors).
struct ConnectionSlot {
  explicit ConnectionSlot(boost::asio::any_io_executor s) : strand(std::move(s)) {}
  boost::asio::any_io_executor strand;
  boost::asio::cancellation_signal cancel;  // strand: hard cancel, handler included
  std::function<void()> close_socket;       // strand: set while the stream is alive
  bool idle = true;                         // strand: no request in progress
};

struct ServerStateBase {
  ServerStateBase(boost::asio::any_io_executor ex, ServerOptions opts, Handler h)
      : executor(ex),
        strand(boost::asio::make_strand(ex)),
        options(std::move(opts)),
        handler(std::move(h)),
        drained(strand) {}

  boost::asio::any_io_executor executor;
  Strand strand;  // acceptors and shutdown run here
  ServerOptions options;
  Handler handler;
  std::optional<StreamingRoute> streaming;
  std::optional<boost::asio::ssl::context> tls;
  std::vector<boost::asio::ip::tcp::acceptor> acceptors;  // strand (after listen())
  std::atomic<bool> stopping{false};
  boost::asio::steady_timer drained;  // strand: cancelled when the last connection leaves

  mutable std::mutex mutex;
  std::unordered_map<std::uint64_t, std::shared_ptr<ConnectionSlot>> connections;
  std::uint64_t next_id = 0;
  std::size_t next_executor = 0;  // strand: options.connection_executors, taken in turn
};

// Runs one accepted connection to its end on slot->strand.
boost::asio::awaitable<void> serve_connection(std::shared_ptr<ServerStateBase> state,
                                              std::shared_ptr<ConnectionSlot> slot,
                                              boost::asio::ip::tcp::socket socket);

}  // namespace gatehouse::http::detail

namespace gatehouse::http {
struct Server::State : detail::ServerStateBase {
  using ServerStateBase::ServerStateBase;
};
}  // namespace gatehouse::http
