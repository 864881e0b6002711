// Internal: a command on its way through the engine, and how its outcome reaches the caller.
//
// A Request is queued (not yet handed to hiredis: cancellable, may be re-routed), then sent (in
// hiredis's buffer or on the wire: it reports what Redis answers), then done. Its outcome is
// delivered exactly once, on the engine's thread; TypedRequest forwards it to the awaiting
// coroutine's executor.
#pragma once

#include <gatehouse/session/store_error.hpp>

#include "stores/redis/redis_reply.hpp"
#include "stores/redis/redis_scripts.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gatehouse::redis {

class Connection;
class Core;

struct Command {
  std::vector<std::string> args;  // the command; with a script: numkeys, keys..., arguments...
  const Script* script = nullptr;
  std::uint16_t slot = 0;   // where its keys live (cluster)
  bool idempotent = false;  // may be sent again after a connection loss (reads)
};

class Request {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  Request(Command c, TimePoint until) : command(std::move(c)), deadline(until) {}
  virtual ~Request() = default;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  // The outcome, exactly once, on the engine's thread.
  virtual void complete(StoreResult<Reply> result) = 0;

  Command command;
  TimePoint deadline;
  std::atomic<bool> cancel_requested{false};  // set from any thread

  // Engine thread only.
  enum class State { queued, sent, done };
  State state = State::queued;
  bool use_eval = false;          // the node had not cached the script (NOSCRIPT)
  std::optional<Endpoint> ask;    // ASK: the next attempt goes there, after ASKING
  Connection* pinned = nullptr;   // for one node only (the engine's own CLUSTER SLOTS)
  Connection* sent_on = nullptr;  // while sent
  int redirects = 0;
  std::optional<boost::asio::steady_timer> deadline_timer;
  std::optional<boost::asio::steady_timer> retry_timer;
};

// The engine's own commands: the outcome goes to a function on the engine's thread.
class InternalRequest final : public Request {
 public:
  InternalRequest(Command c, TimePoint until, std::function<void(StoreResult<Reply>)> done)
      : Request(std::move(c), until), done_(std::move(done)) {}
  void complete(StoreResult<Reply> result) override { done_(std::move(result)); }

 private:
  std::function<void(StoreResult<Reply>)> done_;
};

// A coroutine's command: the outcome resumes it on its own executor. `keepalive` (the engine)
// is let go on that executor too, never on the engine's own thread.
template <class Handler>
class TypedRequest final : public Request {
 public:
  TypedRequest(Command c, TimePoint until, Handler handler, std::shared_ptr<const void> keepalive)
      : Request(std::move(c), until),
        handler_(std::move(handler)),
        guard_(std::in_place, boost::asio::get_associated_executor(handler_)),
        keepalive_(std::move(keepalive)) {}

  void complete(StoreResult<Reply> result) override {
    {
      auto executor = guard_->get_executor();
      boost::asio::dispatch(executor, [handler = std::move(handler_), result = std::move(result),
                                       keep = std::move(keepalive_)]() mutable {
        boost::asio::get_associated_cancellation_slot(handler).clear();
        std::move(handler)(std::move(result));
      });
    }
    // Last, after dispatch: once the work is released the handler's owner may destroy its
    // execution context, so nothing of it is left on this thread by then.
    guard_.reset();
  }

 private:
  Handler handler_;
  std::optional<boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>>>
      guard_;
  std::shared_ptr<const void> keepalive_;
};

}  // namespace gatehouse::redis
