// Internal: the engine behind every SqliteUserSessionStore partition of one database file.
#pragma once

#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include "stores/sqlite/sqlite_inline_readers.hpp"
#include "stores/sqlite/sqlite_read_batches.hpp"
#include "stores/sqlite/sqlite_workers.hpp"

#include <atomic>
#include <memory>

namespace gatehouse {

class SqliteSessionDatabase {
 public:
  // Opens the writer first (it creates the file and schema), then the readers and the
  // checkpointer. Throws StoreOpenError.
  explicit SqliteSessionDatabase(SqliteDatabaseOptions options);

  sqlite::Workers& readers() { return readers_; }
  sqlite::Workers& writer() { return writer_; }
  sqlite::InlineReaders& inline_readers() { return inline_readers_; }
  // Gets by key, batched per thread and turn on the inline readers (when there are any).
  sqlite::ReadBatches& read_batches() { return read_batches_; }
  bool reads_inline() const { return options_.inline_readers > 0; }
  const SqliteDatabaseOptions& options() const { return options_; }

  // Queues a PASSIVE checkpoint (it never blocks readers or the writer) unless one is pending.
  void request_checkpoint();

 private:
  std::unique_ptr<sqlite::Connection> open_writer();
  std::unique_ptr<sqlite::Connection> open_reader(int busy_timeout_ms);
  std::unique_ptr<sqlite::Connection> open_checkpointer();
  static int on_commit(void* self, sqlite3*, const char*, int wal_pages);
  int busy_timeout() const { return static_cast<int>(options_.busy_timeout.count()); }

  static constexpr int checkpoint_pages = 1000;  // SQLite's own auto-checkpoint threshold
  SqliteDatabaseOptions options_;
  std::atomic<bool> checkpoint_pending_{false};
  // Destroyed in reverse: readers, then the writer (whose last commits may still request a
  // checkpoint), then the checkpointer. The writer is built before the readers: it creates the
  // file and schema they open.
  sqlite::Workers checkpointer_;
  sqlite::Workers writer_;
  sqlite::Workers readers_;
  sqlite::InlineReaders inline_readers_;
  sqlite::ReadBatches read_batches_;
};

}  // namespace gatehouse
