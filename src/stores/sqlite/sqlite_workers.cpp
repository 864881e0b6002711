#include "stores/sqlite/sqlite_workers.hpp"

#include "posix/thread_name.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace gatehouse::sqlite {

Workers::Workers(const char* name, Policy policy, std::size_t threads, std::size_t max_group,
                 ConnectionFactory open)
    : policy_(policy), max_group_(std::max<std::size_t>(1, max_group)), thread_count_(threads) {
  // Connections are opened here, on the constructing thread, so open errors reach the caller.
  std::vector<std::unique_ptr<Connection>> connections;
  for (std::size_t i = 0; i < threads; ++i) connections.push_back(open());
  for (auto& c : connections) {
    threads_.emplace_back([this, c = std::move(c)]() mutable { run(std::move(c)); });
    posix::name_thread(threads_.back().native_handle(), name);
  }
}

Workers::~Workers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void Workers::submit(std::unique_ptr<Job> job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void Workers::run(std::unique_ptr<Connection> connection) {
  std::vector<std::unique_ptr<Job>> group;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      // Readers share the queue fairly; the writer takes all it may commit together. A standalone
      // job (a checkpoint) always runs alone.
      const std::size_t take =
          policy_ == Policy::read
              ? std::clamp<std::size_t>(queue_.size() / thread_count_, 1, max_group_)
              : max_group_;
      do {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } while (group.size() < take && !queue_.empty() &&
               group.back()->kind() == Job::Kind::in_transaction &&
               queue_.front()->kind() == Job::Kind::in_transaction);
    }
    if (policy_ == Policy::read || group.front()->kind() == Job::Kind::standalone) {
      for (auto& job : group) {
        job->execute(*connection);
        job->complete();
      }
    } else {
      run_group(*connection, group);
    }
    group.clear();
  }
}

void Workers::run_group(Connection& connection, std::vector<std::unique_ptr<Job>>& group) {
  int rc = connection.exec("BEGIN IMMEDIATE");
  if (rc == SQLITE_OK) {
    for (auto& job : group) {
      job->execute(connection);
      // An I/O or disk-full error can roll the whole transaction back under us.
      if (!connection.in_transaction()) {
        rc = SQLITE_IOERR;
        break;
      }
    }
    if (rc == SQLITE_OK) rc = connection.exec("COMMIT");
  }
  if (rc != SQLITE_OK) {
    if (connection.in_transaction()) connection.exec("ROLLBACK");
    for (auto& job : group) job->fail(make_error_code(StoreErrc::unavailable));
  } else {
    commits_.fetch_add(1, std::memory_order_relaxed);
    committed_jobs_.fetch_add(group.size(), std::memory_order_relaxed);
  }
  for (auto& job : group) job->complete();
}

}  // namespace gatehouse::sqlite
