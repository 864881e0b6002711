// Internal: the engine's state — the connections (one, or one per cluster master), the slot
// table, routing, deadlines, retries and redirections — on the engine's own io thread, or on a
// strand of the caller's executor ("attached": the gateway's io threads drive hiredis
// themselves, so a command costs no hop to another thread and back).
//
// Every handler the Core queues holds the Core: it is destroyed only once none is pending, or
// when its executor's context is destroyed with the handlers (then nothing calls back into it).
//
// Routing: without a cluster every command goes to the one connection. In a cluster, to the
// master of its slot (CLUSTER SLOTS, refreshed after MOVED, READONLY and connection losses);
// MOVED updates that slot at once and re-sends, ASK re-sends once to the named node after
// ASKING. Commands that were not executed (NOSCRIPT: again as EVAL; TRYAGAIN, CLUSTERDOWN,
// LOADING, MASTERDOWN, BUSY, READONLY: again after 50 ms) are retried until their deadline.
//
// Per-command costs are batched: submissions from any thread queue under a mutex and one post
// wakes the io thread per burst; deadlines sit in one sorted list watched by one timer; outcomes
// go back with one post per caller executor and loop turn, and what the callers it resumes
// submit meanwhile wakes the io thread once, after the last of them.
#pragma once

#include <gatehouse/stores/redis_user_session_store.hpp>

#include "stores/redis/redis_connection.hpp"
#include "stores/redis/redis_request.hpp"
#include "stores/redis/redis_url.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gatehouse::redis {

class Core : public std::enable_shared_from_this<Core> {
 public:
  // `attached`: run on a strand of it; empty: on io(), which the engine's thread runs.
  Core(RedisUrl url, std::chrono::milliseconds timeout, boost::asio::any_io_executor attached = {});
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  boost::asio::io_context& io() { return io_; }
  // Where everything of the Core runs: io()'s executor, or the strand on the attached one.
  const boost::asio::any_io_executor& executor() const { return executor_; }
  const RedisUrl& url() const { return url_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  bool cluster() const { return url_.scheme == Scheme::cluster; }

  // Any thread.
  void start();  // connects to the server, or to the seeds and discovers the masters
  void stop();   // closes every connection; the io thread's run() returns
  // Attached, once the executor's context has stopped (nothing runs the Core): stop() on this
  // thread, so the connections close now rather than when the context is destroyed.
  void stop_here() { shutdown(); }
  void submit(std::shared_ptr<Request> request);
  void cancel(std::shared_ptr<Request> request);
  RedisStoreStatistics statistics() const;
  std::string last_error() const;  // why a connection last failed (never a secret)

  // Engine thread: what the connections report.
  void finish(const std::shared_ptr<Request>& request, StoreResult<Reply> result);
  void on_reply(Connection& from, std::shared_ptr<Request> request, Reply reply);
  void on_unanswered(std::shared_ptr<Request> request);  // sent, then the connection was lost
  void on_ready(Connection& connection, bool reconnect);
  void on_lost(Connection& connection);
  void note_error(const Connection& connection, const std::string& why);
  void count_sent() { sent_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void drain();
  void begin(std::shared_ptr<Request> request);
  void list_deadline(const std::shared_ptr<Request>& request);
  void unlist_deadline(Request& request);
  void watch_deadlines();
  void expire_overdue();
  void flush_completions();
  void wake_for_submissions();
  // While resuming a batch of callers on their thread: their submissions queue without a post.
  class HeldSubmissions;
  void route(std::shared_ptr<Request> request);
  void retry_later(std::shared_ptr<Request> request);
  Connection& node(const Endpoint& endpoint);
  void want_slots();
  void refresh_slots();
  void apply_slots(const std::vector<SlotRange>& table);
  void shutdown();

  static constexpr int max_redirects = 8;
  static constexpr std::chrono::milliseconds retry_delay{50};
  static constexpr std::chrono::milliseconds refresh_interval{100};

  boost::asio::io_context io_;  // first: destroyed last
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::any_io_executor executor_;
  RedisUrl url_;
  std::chrono::milliseconds timeout_;
  std::map<std::string, std::unique_ptr<Connection>> nodes_;  // by "host:port"
  Connection* single_ = nullptr;
  std::vector<Connection*> slots_;                 // cluster: each slot's master, or null
  std::deque<std::shared_ptr<Request>> unrouted_;  // cluster: waiting for the slot table
  bool slots_wanted_ = false;
  bool refreshing_ = false;
  bool refresh_armed_ = false;
  std::chrono::steady_clock::time_point last_refresh_{};
  boost::asio::steady_timer refresh_timer_;
  bool stopping_ = false;

  std::mutex submit_mutex_;
  std::vector<std::shared_ptr<Request>> submitted_;  // guarded by submit_mutex_
  bool drain_posted_ = false;                        // guarded by submit_mutex_
  std::vector<std::shared_ptr<Request>> draining_;

  Request* first_deadline_ = nullptr;  // the deadline list, earliest first
  Request* last_deadline_ = nullptr;
  boost::asio::steady_timer deadline_timer_;
  bool deadline_armed_ = false;
  std::chrono::steady_clock::time_point armed_for_{};

  struct Completions {
    boost::asio::any_io_executor executor;
    std::vector<std::shared_ptr<Request>> requests;
  };
  std::vector<Completions> completions_;
  bool completions_posted_ = false;

  std::atomic<std::size_t> ready_{0};
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> redirects_{0};
  mutable std::mutex error_mutex_;
  std::string last_error_;
};

}  // namespace gatehouse::redis
