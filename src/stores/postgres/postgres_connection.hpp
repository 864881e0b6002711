// Internal: one libpq connection driven asynchronously through its socket on the engine's io
// thread (PQsendQueryPrepared, PQflush, PQconsumeInput, PQisBusy, PQgetResult); Asio waits on
// a duplicate of the socket's descriptor (libpq keeps owning its own). It is opened elsewhere
// (SideThread), then adopted.
//
// The connection stays in pipeline mode: a statement's first use on a connection sends its Parse
// together with Bind, Execute and Sync, so preparing costs no round trip of its own (a pool that
// reconnects after an outage is serving again after one handshake). One statement is in flight
// at a time: a cancel request (PQcancel) targets a connection, not a statement, and a statement
// waiting on a lock must not hold up callers queued behind it.
//
// Not thread-safe: used from the io thread only.
#pragma once

#include "stores/postgres/postgres_libpq.hpp"
#include "stores/postgres/postgres_schema.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <bitset>
#include <functional>
#include <memory>
#include <string>

namespace gatehouse::postgres {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(boost::asio::io_context& io);
  ~Connection();  // closes its duplicate of the socket, then PQfinish
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Takes over an idle, connected connection (made by the side thread's blocking connect).
  bool adopt(ConnectionHandle handle, std::string& error);

  struct Outcome {
    Result result;      // the statement's result, or the first error of its transaction
    bool sent = false;  // everything reached the socket: the server may have run it
    bool lost = false;  // the connection failed or was aborted: the outcome is unknown
  };
  // Runs statement `id` with `params` and waits until its transaction ended (Sync), so a result
  // is only a success once the server committed it.
  boost::asio::awaitable<Outcome> execute(Statement id, const StatementText& statement,
                                          Params& params);

  // While idle: calls `on_closed` once if the server closes the connection (a restart, an
  // administrator) so a dead connection is never handed out. Ended by stop_watching().
  void watch(std::function<void()> on_closed);
  void stop_watching();
  // Wakes whatever waits on the socket and fails it (a timeout, shutting down).
  void abort();

  bool healthy() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK && !aborted_; }
  // For the canceller: a copy of the connection's cancel key, valid after the connection ends.
  const std::shared_ptr<PGcancel>& cancel_key() const { return cancel_key_; }

  // Cancel requests for this connection that the server has not confirmed yet (kept by the
  // pool): until they are, the connection runs nothing else, or a late one could hit it.
  int pending_cancels = 0;

 private:
  void track_socket();
  void release_socket();
  bool tls_input_buffered() const;
  boost::asio::awaitable<bool> wait(boost::asio::posix::stream_descriptor::wait_type type);

  ConnectionHandle conn_;
  boost::asio::posix::stream_descriptor socket_;
  std::shared_ptr<PGcancel> cancel_key_;
  std::bitset<statement_count> prepared_;
  bool aborted_ = false;
  std::uint64_t watch_generation_ = 0;
};

}  // namespace gatehouse::postgres
