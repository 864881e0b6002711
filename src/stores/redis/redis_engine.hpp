// Internal: the engine behind every RedisUserSessionStore partition of one URL and prefix. It
// owns the io thread (the Core's io_context runs there), or runs the Core on a strand of an
// executor it is given (attached), and turns a Command into an awaitable whose outcome resumes
// the caller on its own executor.
#pragma once

#include <gatehouse/stores/redis_user_session_store.hpp>

#include "stores/redis/redis_core.hpp"
#include "stores/redis/redis_request.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace gatehouse {

class RedisSessionEngine : public std::enable_shared_from_this<RedisSessionEngine> {
 public:
  // Starts the io thread (none when `attached`) and connects, after checking that the server
  // answers (attached: through a probe engine of its own, since the attached executor may not be
  // running yet). Throws StoreOpenError.
  RedisSessionEngine(redis::RedisUrl url, std::string prefix, std::chrono::milliseconds timeout,
                     boost::asio::any_io_executor attached = {});
  ~RedisSessionEngine();
  RedisSessionEngine(const RedisSessionEngine&) = delete;
  RedisSessionEngine& operator=(const RedisSessionEngine&) = delete;

  // Runs `command` with the engine's timeout. Cancellation (Asio per-operation) takes effect
  // while the command is unsent; after that the real outcome is reported.
  boost::asio::awaitable<StoreResult<redis::Reply>> execute(redis::Command command);

  const std::string& prefix() const { return prefix_; }
  bool cluster() const { return core_->cluster(); }
  RedisStoreStatistics statistics() const { return core_->statistics(); }

 private:
  // Cancellation of one request, from whatever thread emits it.
  struct Cancel {
    std::weak_ptr<redis::Request> request;
    std::weak_ptr<redis::Core> core;
    void operator()(boost::asio::cancellation_type type) const;
  };

  static void wait_until_reachable(redis::Core& core, std::chrono::milliseconds timeout);
  void stop();

  std::shared_ptr<redis::Core> core_;
  boost::asio::any_io_executor attached_;  // empty: the engine's own thread_
  std::thread thread_;
  std::string prefix_;
  std::chrono::milliseconds timeout_;
};

inline boost::asio::awaitable<StoreResult<redis::Reply>> RedisSessionEngine::execute(
    redis::Command command) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                     void(StoreResult<redis::Reply>)>(
      [this](auto handler, redis::Command c) {
        using Handler = decltype(handler);
        auto slot = boost::asio::get_associated_cancellation_slot(handler);
        auto request = std::make_shared<redis::TypedRequest<Handler>>(
            std::move(c), std::chrono::steady_clock::now() + timeout_, std::move(handler),
            shared_from_this());
        if (slot.is_connected()) slot.assign(Cancel{request, core_});
        core_->submit(std::move(request));
      },
      boost::asio::use_awaitable, std::move(command));
}

}  // namespace gatehouse
