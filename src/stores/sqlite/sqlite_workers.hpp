// Internal: threads that own SQLite connections and run jobs for coroutines.
//
// Policy::read  - each thread takes its share of the queue (at most N jobs) and runs them one
//                 after another on its own read connection, each in its own implicit transaction.
// Policy::write - one thread drains up to N queued jobs and runs them in a single
//                 BEGIN IMMEDIATE transaction (group commit); results are delivered only after
//                 COMMIT succeeded, and every job of a failed commit reports `unavailable`.
#pragma once

#include "stores/sqlite/sqlite_connection.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace gatehouse::sqlite {

class Job {
 public:
  enum class Kind { in_transaction, standalone };

  explicit Job(Kind kind) : kind_(kind) {}
  virtual ~Job() = default;

  // Runs the work on `connection`, unless cancellation arrived first.
  virtual void execute(Connection& connection) = 0;
  // Replaces the outcome (a failed commit).
  virtual void fail(boost::system::error_code ec) = 0;
  // Hands the outcome to the awaiting coroutine on its own executor.
  virtual void complete() = 0;

  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

class Workers {
 public:
  enum class Policy { read, write };
  using ConnectionFactory = std::function<std::unique_ptr<Connection>()>;

  // `name`: the threads' name (at most 15 bytes), as `top -H` and gdb show them.
  Workers(const char* name, Policy policy, std::size_t threads, std::size_t max_group,
          ConnectionFactory open);
  ~Workers();  // runs what is queued, then joins

  void submit(std::unique_ptr<Job> job);

  // Write policy: transactions committed, and the jobs they held.
  std::uint64_t commits() const noexcept { return commits_.load(std::memory_order_relaxed); }
  std::uint64_t committed_jobs() const noexcept {
    return committed_jobs_.load(std::memory_order_relaxed);
  }

 private:
  void run(std::unique_ptr<Connection> connection);
  void run_group(Connection& connection, std::vector<std::unique_ptr<Job>>& group);

  Policy policy_;
  std::size_t max_group_;
  std::size_t thread_count_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::unique_ptr<Job>> queue_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> committed_jobs_{0};
  std::vector<std::thread> threads_;
};

// Background work nobody awaits (a checkpoint).
class FunctionJob final : public Job {
 public:
  explicit FunctionJob(std::function<void(Connection&)> work)
      : Job(Kind::standalone), work_(std::move(work)) {}
  void execute(Connection& connection) override { work_(connection); }
  void fail(boost::system::error_code) override {}
  void complete() override {}

 private:
  std::function<void(Connection&)> work_;
};

// Hands `result` to `handler` on the executor `guard` holds, then lets go of the guard.
template <class Guard, class Handler, class Result>
void complete_on(Guard& guard, Handler&& handler, Result&& result) {
  auto executor = guard.get_executor();
  boost::asio::dispatch(executor,
                        [handler = std::move(handler), result = std::move(result)]() mutable {
                          boost::asio::get_associated_cancellation_slot(handler).clear();
                          std::move(handler)(std::move(result));
                        });
  // Only now, on this thread: the handler may already have run elsewhere and let its owner
  // destroy the execution context, which must not happen while dispatch is still signalling the
  // context's threads (a ThreadSanitizer finding).
  guard.reset();
}

template <class R, class Work, class Handler>
class TypedJob final : public Job {
 public:
  TypedJob(Kind kind, Work work, Handler handler)
      : Job(kind),
        work_(std::move(work)),
        handler_(std::move(handler)),
        guard_(boost::asio::get_associated_executor(handler_)),
        cancelled_(std::make_shared<std::atomic<bool>>(false)) {
    auto slot = boost::asio::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) {
      slot.assign([flag = cancelled_](boost::asio::cancellation_type type) {
        if (type != boost::asio::cancellation_type::none) flag->store(true);
      });
    }
  }

  void execute(Connection& connection) override {
    if (cancelled_->load()) {
      result_.emplace(make_error_code(StoreErrc::cancelled));
      return;
    }
    try {
      result_.emplace(work_(connection));
    } catch (const boost::system::system_error& e) {
      result_.emplace(e.code());
    } catch (const std::bad_alloc&) {
      result_.emplace(make_error_code(StoreErrc::unavailable));
    }
  }

  void fail(boost::system::error_code ec) override { result_.emplace(ec); }

  void complete() override { complete_on(guard_, std::move(handler_), std::move(*result_)); }

 private:
  Work work_;
  Handler handler_;
  boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> guard_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
  std::optional<StoreResult<R>> result_;
};

// Runs `work(Connection&) -> StoreResult<R>` on the calling thread, with the outcomes a job has.
template <class R, class Work>
StoreResult<R> run_here(Connection& connection, Work& work) {
  try {
    return work(connection);
  } catch (const boost::system::system_error& e) {
    return e.code();
  } catch (const std::bad_alloc&) {
    return make_error_code(StoreErrc::unavailable);
  }
}

// Runs `work(Connection&) -> StoreResult<R>` on `workers` and resumes the caller on its executor.
// Pass a named lambda: g++ 12 destroys capturing lambda temporaries in a co_await twice.
template <class R, class Work>
boost::asio::awaitable<StoreResult<R>> run_on(Workers& workers, Job::Kind kind, Work work) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(StoreResult<R>)>(
      [&workers, kind](auto handler, Work w) {
        using Handler = decltype(handler);
        workers.submit(
            std::make_unique<TypedJob<R, Work, Handler>>(kind, std::move(w), std::move(handler)));
      },
      boost::asio::use_awaitable, std::move(work));
}

}  // namespace gatehouse::sqlite
