// Internal: one store operation on its way through the pool: its statement and parameters, the
// pool's bookkeeping (io thread only), and its completion, which resumes the caller on the
// caller's own executor.
#pragma once

#include "stores/postgres/postgres_connection.hpp"
#include "stores/postgres/postgres_libpq.hpp"
#include "stores/postgres/postgres_schema.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace gatehouse::postgres {

class Job : public std::enable_shared_from_this<Job> {
 public:
  Job(Statement s, Params p) : statement(s), params(std::move(p)) {}
  virtual ~Job() = default;

  // Delivers the outcome: an error, or the statement's successful result. Once, on the io thread.
  virtual void complete(boost::system::error_code ec, const PGresult* result) = 0;

  // From the caller's thread (its cancellation slot): hands the job to the pool's cancel() on
  // the io thread, unless it has completed. Under the lock, so the engine cannot be gone while
  // it posts (it outlives every job not yet completed).
  void request_cancel() {
    std::lock_guard lock(mutex_);
    if (!completed_ && post_cancel_) post_cancel_(shared_from_this());
  }

  const Statement statement;
  Params params;

  // The pool's, on the io thread.
  enum class Phase { queued, running, done } phase = Phase::queued;
  bool cancel_requested = false;
  bool retried = false;
  std::shared_ptr<Connection> connection;  // while running
  std::optional<boost::asio::steady_timer> deadline;

 protected:
  void mark_completed() {
    std::lock_guard lock(mutex_);
    completed_ = true;
    post_cancel_ = nullptr;
  }

 private:
  friend class Pool;
  std::mutex mutex_;
  bool completed_ = false;
  std::function<void(std::shared_ptr<Job>)> post_cancel_;
};

template <class R, class Decode, class Handler>
class TypedJob final : public Job {
 public:
  TypedJob(Statement s, Params p, Decode decode, Handler handler)
      : Job(s, std::move(p)),
        decode_(std::move(decode)),
        handler_(std::move(handler)),
        guard_(boost::asio::get_associated_executor(handler_)) {}

  // After the job is owned by a shared_ptr: cancellation reaches it through a weak reference.
  void connect_cancellation() {
    auto slot = boost::asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected())
      slot.assign([weak = weak_from_this()](boost::asio::cancellation_type type) {
        if (type == boost::asio::cancellation_type::none) return;
        if (auto job = weak.lock()) job->request_cancel();
      });
  }

  void complete(boost::system::error_code ec, const PGresult* result) override {
    std::optional<StoreResult<R>> outcome;
    if (ec) {
      outcome.emplace(ec);
    } else {
      try {
        outcome.emplace(decode_(Rows(result)));
      } catch (const boost::system::system_error& e) {
        outcome.emplace(e.code());
      } catch (const std::bad_alloc&) {
        outcome.emplace(make_error_code(StoreErrc::unavailable));
      }
    }
    mark_completed();
    auto executor = guard_.get_executor();
    boost::asio::dispatch(executor,
                          [handler = std::move(handler_), outcome = std::move(*outcome)]() mutable {
                            boost::asio::get_associated_cancellation_slot(handler).clear();
                            std::move(handler)(std::move(outcome));
                          });
    // Only after dispatch returned: the handler may already have run on another thread and let
    // its owner destroy the execution context (the SQLite workers' ThreadSanitizer finding).
    guard_.reset();
  }

 private:
  Decode decode_;
  Handler handler_;
  boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> guard_;
};

}  // namespace gatehouse::postgres
