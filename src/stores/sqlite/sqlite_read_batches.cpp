#include "stores/sqlite/sqlite_read_batches.hpp"

#include <sqlite3.h>
#include <boost/asio/post.hpp>

namespace gatehouse::sqlite {

struct ReadBatches::Slot {
  std::mutex mutex;
  Batch* open = nullptr;  // the batch being filled, whose flush is queued
};

struct ReadBatches::Batch {
  explicit Batch(Slot& s) : slot(&s) { jobs.reserve(8); }
  // Destroyed without having run (its executor's context shut down first): later gets must not
  // join it.
  ~Batch() { close(); }
  // No more gets join this batch: the flush is taking it.
  void close() {
    std::lock_guard lock(slot->mutex);
    if (slot->open == this) slot->open = nullptr;
  }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  Slot* slot;
  std::vector<std::unique_ptr<BatchedJob>> jobs;  // under the slot's mutex while open
};

// Members in this order: the batch goes first, while its owner (and so its slot) still lives.
class ReadBatches::Flush {
 public:
  Flush(ReadBatches& batches, std::unique_ptr<Batch> batch, std::shared_ptr<void> owner)
      : owner_(std::move(owner)), batches_(&batches), batch_(std::move(batch)) {}

  void operator()() {
    batch_->close();
    batches_->run(batch_->jobs);
  }

 private:
  std::shared_ptr<void> owner_;
  ReadBatches* batches_;
  std::unique_ptr<Batch> batch_;
};

ReadBatches::ReadBatches(InlineReaders& inline_readers, Workers& readers)
    : inline_readers_(inline_readers),
      readers_(readers),
      slots_(std::make_unique<std::array<Slot, 16>>()) {}

ReadBatches::~ReadBatches() = default;

ReadBatches::Slot& ReadBatches::slot_of_this_thread() {
  static std::atomic<unsigned> next{0};
  thread_local const unsigned index = next.fetch_add(1, std::memory_order_relaxed);
  return (*slots_)[index % slots_->size()];
}

ReadBatches::Batch* ReadBatches::join(std::unique_ptr<BatchedJob> job) {
  Slot& slot = slot_of_this_thread();
  std::lock_guard lock(slot.mutex);
  if (slot.open && slot.open->jobs.size() < max_batch) {
    slot.open->jobs.push_back(std::move(job));
    return nullptr;
  }
  auto batch = std::make_unique<Batch>(slot);
  batch->jobs.push_back(std::move(job));
  slot.open = batch.get();
  return batch.release();
}

void ReadBatches::post_flush(Batch* opened, const boost::asio::any_io_executor& executor,
                             std::shared_ptr<void> owner) {
  std::unique_ptr<Batch> batch(opened);
  boost::asio::post(executor, Flush(*this, std::move(batch), std::move(owner)));
}

void ReadBatches::run(std::vector<std::unique_ptr<BatchedJob>>& jobs) {
  std::size_t ran = 0;
  if (auto lease = inline_readers_.try_acquire()) {
    Connection& connection = **lease;
    // One get needs no explicit transaction: its statement is one.
    const bool together = jobs.size() > 1 && connection.exec("BEGIN") == SQLITE_OK;
    for (; ran < jobs.size(); ++ran) {
      jobs[ran]->execute(connection);
      // Busy (a lock these connections never wait for) or an I/O error: this get and the rest
      // go to the reader threads.
      if (jobs[ran]->unavailable()) break;
    }
    // A read transaction has nothing to commit; this only ends it. An I/O error may have rolled
    // it back already.
    if (together && connection.in_transaction() && connection.exec("COMMIT") != SQLITE_OK &&
        connection.in_transaction())
      connection.exec("ROLLBACK");
    transactions_.fetch_add(1, std::memory_order_relaxed);
    reads_.fetch_add(ran, std::memory_order_relaxed);
  }
  // The connection is back in the pool before any caller resumes (and maybe reads again).
  for (std::size_t i = 0; i < ran; ++i) jobs[i]->complete();
  for (std::size_t i = ran; i < jobs.size(); ++i) readers_.submit(std::move(jobs[i]));
}

}  // namespace gatehouse::sqlite
