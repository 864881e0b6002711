// Internal: the bounded connection pool and its queue of operations, on the engine's io thread.
//
// An operation waits in the queue for an idle connection; connections open on demand up to the
// pool's size, and one that finishes an operation takes the next queued one at once. Each
// operation is bounded by the timeout from the moment it is queued: queued past it, it is
// dropped; running past it, it is answered `unavailable`, cancelled on the server and its
// connection closed. Timeouts are logged (warn, at most one line a second, with how many more
// there were), naming the operation and the server. A failed connection attempt backs off (100 ms
// doubling to 2 s, with jitter); while no connection is up and the backoff runs, operations are
// answered `unavailable` at once rather than at the timeout, and the first one after it probes the
// server again.
//
// Cancellation by the caller: a queued operation is dropped (`cancelled`); a running one gets
// cancel requests (PQcancel, repeated while it runs: one that reaches the backend before the
// statement does is ignored), and the server's answer decides: rolled back -> `cancelled`,
// committed -> its result. Its connection runs nothing else until the server has taken every
// request, so a late one never hits the next statement.
#pragma once

#include "stores/postgres/postgres_connection.hpp"
#include "stores/postgres/postgres_job.hpp"
#include "stores/postgres/postgres_side_thread.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace gatehouse::postgres {

class Pool {
 public:
  struct Settings {
    std::size_t size;
    std::chrono::milliseconds timeout;
  };

  Pool(boost::asio::io_context& io, const ConnectionParameters& parameters,
       std::vector<StatementText> statements, Settings settings);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Any thread. attach() before the job's cancellation slot is connected, then submit().
  void attach(Job& job);
  void submit(std::shared_ptr<Job> job);
  // Any thread: runs the queue dry, closes the connections and lets the io thread end.
  void stop();
  // Any thread: calls `then` on the io thread once every operation cancelled while it ran has
  // ended and every cancel request has been taken by the server (for tests that must know a
  // cancellation took effect before they let the statement go on).
  void when_cancellations_ended(std::function<void()> then);

  // Before the io thread runs: an open, idle connection (the one that checked the schema).
  void add(std::shared_ptr<Connection> connection);

 private:
  void enqueue(std::shared_ptr<Job> job);
  void cancel(const std::shared_ptr<Job>& job);
  void expire(const std::shared_ptr<Job>& job);
  void report_timeout(const Job& job);
  void start(const std::shared_ptr<Connection>& c, const std::shared_ptr<Job>& job);
  void finish(const std::shared_ptr<Job>& job, boost::system::error_code ec,
              const PGresult* result = nullptr);
  void fail_queued();
  void pump();
  boost::asio::awaitable<void> run(std::shared_ptr<Connection> c, std::shared_ptr<Job> job);
  void open_connection();
  void connected(ConnectionHandle handle, const std::string& error);
  void connect_failed(const std::string& error);
  void make_idle(const std::shared_ptr<Connection>& c);
  void dispose(const std::shared_ptr<Connection>& c);
  void close(const std::shared_ptr<Connection>& c);
  void idle_closed(const std::weak_ptr<Connection>& c);
  void send_cancel(const std::shared_ptr<Connection>& c, const std::shared_ptr<Job>& job);
  void cancel_confirmed(const std::weak_ptr<Connection>& c, const std::weak_ptr<Job>& job);
  void notify_cancel_waiters();
  void check_stopped();

  boost::asio::io_context& io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  const ConnectionParameters& parameters_;
  std::vector<StatementText> statements_;
  Settings settings_;
  SideThread connector_;
  SideThread canceller_;

  std::deque<std::shared_ptr<Job>> queue_;
  std::vector<std::shared_ptr<Connection>> idle_;
  std::vector<std::shared_ptr<Connection>> parked_;  // waiting for cancel confirmations
  std::size_t connecting_ = 0;                       // attempts on the connector thread
  std::size_t open_ = 0;                             // idle, busy, parked and connecting
  std::size_t busy_ = 0;
  int cancels_in_flight_ = 0;
  int cancelling_ = 0;  // running operations their callers cancelled
  std::vector<std::function<void()>> cancel_waiters_;
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{0};
  bool reported_down_ = false;
  std::chrono::steady_clock::time_point last_timeout_report_{};
  std::size_t unreported_timeouts_ = 0;
  bool stopping_ = false;
  bool stopped_ = false;
  std::minstd_rand jitter_;
};

}  // namespace gatehouse::postgres
