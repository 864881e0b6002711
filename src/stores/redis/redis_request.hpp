// Internal: a command on its way through the engine, and how its outcome reaches the caller.
//
// A Request is queued (not yet handed to hiredis: cancellable, may be re-routed), then sent (in
// hiredis's buffer or on the wire: it reports what Redis answers), then done. Its outcome is
// decided exactly once, on the engine's thread; a TypedRequest then names the awaiting
// coroutine's executor, and the engine resumes it there (one post per executor and loop turn).
#pragma once

#include <gatehouse/session/store_error.hpp>

#include "stores/redis/redis_reply.hpp"
#include "stores/redis/redis_scripts.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
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

  // The outcome, exactly once, on the engine's thread. Returns where resume() must run, or
  // nothing when the outcome has been delivered already.
  virtual std::optional<boost::asio::any_io_executor> complete(StoreResult<Reply> result) = 0;
  // On the executor complete() named: hands the outcome over.
  virtual void resume() {}

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
  std::optional<boost::asio::steady_timer> retry_timer;
  // The engine's deadline list (sorted by deadline), which owns the request while it is in it.
  Request* earlier = nullptr;
  Request* later = nullptr;
  std::shared_ptr<Request> listed;
};

// The engine's own commands: the outcome goes to a function on the engine's thread.
class InternalRequest final : public Request {
 public:
  InternalRequest(Command c, TimePoint until, std::function<void(StoreResult<Reply>)> done)
      : Request(std::move(c), until), done_(std::move(done)) {}
  std::optional<boost::asio::any_io_executor> complete(StoreResult<Reply> result) override {
    done_(std::move(result));
    return std::nullopt;
  }

 private:
  std::function<void(StoreResult<Reply>)> done_;
};

// A coroutine's command: the outcome resumes it on its own executor, which counts as busy
// until then. The work and `keepalive` (the engine) are let go on that executor too, never on
// the engine's own thread: the last of either may end its owner.
template <class Handler>
class TypedRequest final : public Request {
 public:
  TypedRequest(Command c, TimePoint until, Handler handler, std::shared_ptr<const void> keepalive)
      : Request(std::move(c), until),
        handler_(std::move(handler)),
        work_(boost::asio::prefer(boost::asio::get_associated_executor(handler_),
                                  boost::asio::execution::outstanding_work.tracked)),
        keepalive_(std::move(keepalive)) {}

  std::optional<boost::asio::any_io_executor> complete(StoreResult<Reply> result) override {
    result_.emplace(std::move(result));
    return work_;  // tracked: the engine lets this copy go only after its post returned
  }

  void resume() override {
    auto work = std::exchange(work_, boost::asio::any_io_executor());
    auto keep = std::move(keepalive_);
    auto handler = std::move(handler_);
    auto result = std::move(*result_);
    result_.reset();
    boost::asio::get_associated_cancellation_slot(handler).clear();
    std::move(handler)(std::move(result));
  }

 private:
  Handler handler_;
  boost::asio::any_io_executor work_;
  std::shared_ptr<const void> keepalive_;
  std::optional<StoreResult<Reply>> result_;
};

}  // namespace gatehouse::redis
