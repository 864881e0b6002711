// Internal: one hiredis async connection to one Redis node, on the Core's executor.
//
// hiredis owns the socket; an Asio stream_descriptor on the same fd only waits for readiness
// (hiredis's addRead/delRead/addWrite/delWrite hooks) and is released, never closed, when
// hiredis cleans up. Commands are pipelined: every command is handed to hiredis as soon as the
// connection is ready, replies come back in order. Until the connection is ready (connected,
// AUTH and SELECT answered) commands wait here, unsent; after a loss it reconnects with
// exponential backoff (25 ms doubling to 1 s, jittered).
#pragma once

#include "stores/redis/redis_request.hpp"
#include "stores/redis/redis_url.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

struct redisAsyncContext;

namespace gatehouse::redis {

class AsioEvents;

class Connection {
 public:
  Connection(Core& core, Endpoint endpoint);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects, and keeps reconnecting after losses until close().
  void start();
  // Sends at once when ready; otherwise queues (unsent) until the connection is.
  void submit(std::shared_ptr<Request> request);
  // The queued, unsent requests (for the engine to route again).
  std::deque<std::shared_ptr<Request>> take_pending();
  // A reply is overdue: drops the connection (what was sent on it fails or is re-sent) and
  // reconnects.
  void reset();
  // Engine shutdown: drops the connection, fails what waits, no more reconnects.
  void close();

  bool ready() const { return state_ == State::ready; }
  const Endpoint& endpoint() const { return endpoint_; }

  // Called by the event adapter when hiredis frees the context.
  void context_gone();

 private:
  enum class State { idle, resolving, connecting, ready, closing, closed };

  void connect(const std::string& address);
  void handshake();
  void become_ready();
  void send(const std::shared_ptr<Request>& request);
  void drop();
  void lost();
  void failed(std::string why);
  void schedule_reconnect();

  static void on_connect(const redisAsyncContext* context, int status);
  static void on_disconnect(const redisAsyncContext* context, int status);
  static void on_handshake_reply(redisAsyncContext* context, void* reply, void* self);
  static void on_reply(redisAsyncContext* context, void* reply, void* self);

  static constexpr std::chrono::milliseconds first_backoff{25};
  static constexpr std::chrono::milliseconds max_backoff{1000};
  static constexpr std::size_t max_pending = 65536;

  Core& core_;
  Endpoint endpoint_;
  State state_ = State::idle;
  redisAsyncContext* context_ = nullptr;
  std::shared_ptr<AsioEvents> events_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;  // the connect deadline, then the backoff
  std::chrono::milliseconds backoff_ = first_backoff;
  int handshake_left_ = 0;
  bool connected_ = false;   // TCP connect finished
  bool was_ready_ = false;   // has been ready before (a reconnect counts)
  bool counted_up_ = false;  // counted in the engine's ready connections
  bool abandoned_ = false;   // being destroyed without a shutdown: reports go nowhere
  std::deque<std::shared_ptr<Request>> pending_;
  std::deque<std::shared_ptr<Request>> inflight_;
  std::vector<const char*> argv_;
  std::vector<std::size_t> lengths_;
};

}  // namespace gatehouse::redis
