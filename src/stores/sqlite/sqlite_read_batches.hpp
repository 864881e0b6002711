// Internal: the point reads that reach a thread in one turn of its event loop share one read
// transaction on an inline connection.
//
// Every read transaction on a WAL database takes and drops a read lock in the shared-memory
// index: two fcntl system calls, more than the read of a cached row costs. A get joins its
// thread's open batch and suspends. The first get of a batch posts the batch's flush behind
// everything already queued on its executor, so the batch gathers the gets of every connection
// that became ready in the same turn. The flush runs them in one transaction on one inline
// connection, ends the transaction, gives the connection back, and only then resumes each
// caller on its own executor.
//
// Revocation is not delayed: every get of a batch was queued before the flush began its
// transaction, so a delete committed before a request's get was issued is seen by that get.
//
// Each thread has a slot of its own (16 slots; threads beyond that share), so the io threads of
// a server do not meet on one mutex. A get whose inline read is refused (no idle connection, a
// lock these connections never wait for, an I/O error) goes to the reader threads, as before.
#pragma once

#include "stores/sqlite/sqlite_inline_readers.hpp"
#include "stores/sqlite/sqlite_workers.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace gatehouse::sqlite {

// A job that may run in a batch on an inline connection.
class BatchedJob : public Job {
 public:
  BatchedJob() : Job(Kind::in_transaction) {}
  // The outcome asks for another try on a connection that may wait (StoreErrc::unavailable).
  virtual bool unavailable() const = 0;
};

class ReadBatches {
 public:
  static constexpr std::size_t max_batch = 64;  // gets per transaction; more open a new batch

  ReadBatches(InlineReaders& inline_readers, Workers& readers);
  ~ReadBatches();
  ReadBatches(const ReadBatches&) = delete;
  ReadBatches& operator=(const ReadBatches&) = delete;

  // Queues `job` in the calling thread's batch. The first job of a batch posts its flush to
  // `executor`; the flush keeps `owner` (what owns this object) alive until it has run.
  template <class Owner>
  void add(std::unique_ptr<BatchedJob> job, const boost::asio::any_io_executor& executor,
           const std::shared_ptr<Owner>& owner) {
    if (Batch* opened = join(std::move(job))) post_flush(opened, executor, owner);
  }

  // Read transactions the batches ran, and the gets they answered.
  std::uint64_t transactions() const noexcept {
    return transactions_.load(std::memory_order_relaxed);
  }
  std::uint64_t reads() const noexcept { return reads_.load(std::memory_order_relaxed); }

 private:
  struct Slot;
  struct Batch;
  class Flush;

  Slot& slot_of_this_thread();
  // Adds `job` to the thread's open batch. Returns a batch it opened, which the caller hands to
  // post_flush at once (which owns it from then on); else nullptr.
  Batch* join(std::unique_ptr<BatchedJob> job);
  void post_flush(Batch* opened, const boost::asio::any_io_executor& executor,
                  std::shared_ptr<void> owner);
  void run(std::vector<std::unique_ptr<BatchedJob>>& jobs);

  InlineReaders& inline_readers_;
  Workers& readers_;
  std::unique_ptr<std::array<Slot, 16>> slots_;
  std::atomic<std::uint64_t> transactions_{0};
  std::atomic<std::uint64_t> reads_{0};
};

template <class R, class Work, class Handler>
class BatchedRead final : public BatchedJob {
 public:
  BatchedRead(Work work, Handler handler)
      : work_(std::move(work)),
        handler_(std::move(handler)),
        guard_(boost::asio::get_associated_executor(handler_)) {}

  void execute(Connection& connection) override { result_.emplace(run_here<R>(connection, work_)); }
  void fail(boost::system::error_code ec) override { result_.emplace(ec); }
  bool unavailable() const override {
    return result_ && !*result_ && result_->error() == StoreErrc::unavailable;
  }
  void complete() override { complete_on(guard_, std::move(handler_), std::move(*result_)); }

 private:
  Work work_;
  Handler handler_;
  boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> guard_;
  std::optional<StoreResult<R>> result_;
};

// Runs `work(Connection&) -> StoreResult<R>` in the calling thread's read batch and resumes the
// caller on its executor. `owner` must own `batches` (the database). Pass a named lambda.
template <class R, class Owner, class Work>
boost::asio::awaitable<StoreResult<R>> run_in_batch(ReadBatches& batches,
                                                    const std::shared_ptr<Owner>& owner,
                                                    Work work) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(StoreResult<R>)>(
      [&batches, &owner](auto handler, Work w) {
        using Handler = decltype(handler);
        const auto executor = boost::asio::get_associated_executor(handler);
        batches.add(
            std::make_unique<BatchedRead<R, Work, Handler>>(std::move(w), std::move(handler)),
            executor, owner);
      },
      boost::asio::use_awaitable, std::move(work));
}

}  // namespace gatehouse::sqlite
