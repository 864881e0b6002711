#include "stores/sqlite/sqlite_database.hpp"

#include "stores/sqlite/sqlite_schema.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <string>

namespace gatehouse {

SqliteSessionDatabase::SqliteSessionDatabase(SqliteDatabaseOptions options)
    : options_(std::move(options)),
      checkpointer_("gh-sqlite-ckpt", sqlite::Workers::Policy::read, 1, 1,
                    [this] { return open_checkpointer(); }),
      writer_("gh-sqlite-write", sqlite::Workers::Policy::write, 1, options_.max_writes_per_commit,
              [this] { return open_writer(); }),
      readers_("gh-sqlite-read", sqlite::Workers::Policy::read,
               std::max<std::size_t>(1, options_.reader_threads), 16,
               [this] { return open_reader(busy_timeout()); }),
      // Never waiting for a lock: the thread using one has other requests to serve.
      inline_readers_(options_.inline_readers, [this] { return open_reader(0); }),
      read_batches_(inline_readers_, readers_) {}

std::unique_ptr<sqlite::Connection> SqliteSessionDatabase::open_writer() {
  auto c = std::make_unique<sqlite::Connection>(
      options_.path, sqlite::Connection::Mode::read_write_create, busy_timeout());
  try {
    sqlite::prepare_database(*c, options_.path);
  } catch (const StoreOpenError&) {
    throw;
  } catch (const boost::system::system_error& e) {
    throw StoreOpenError(e.code(), "session database '" + options_.path + "': " + e.what());
  }
  // Checkpoints copy the WAL into the database and sync it: slow I/O that would stall every
  // queued write. The writer only reports the WAL's size; a thread of its own checkpoints.
  sqlite3_wal_autocheckpoint(c->handle(), 0);
  sqlite3_wal_hook(c->handle(), &SqliteSessionDatabase::on_commit, this);
  return c;
}

std::unique_ptr<sqlite::Connection> SqliteSessionDatabase::open_reader(int busy_timeout_ms) {
  auto c = std::make_unique<sqlite::Connection>(options_.path, sqlite::Connection::Mode::read_only,
                                                busy_timeout_ms);
  c->exec("PRAGMA mmap_size=268435456");
  return c;
}

std::unique_ptr<sqlite::Connection> SqliteSessionDatabase::open_checkpointer() {
  return std::make_unique<sqlite::Connection>(
      options_.path, sqlite::Connection::Mode::read_write_create, busy_timeout());
}

void SqliteSessionDatabase::request_checkpoint() {
  if (checkpoint_pending_.exchange(true)) return;
  checkpointer_.submit(std::make_unique<sqlite::FunctionJob>([this](sqlite::Connection& c) {
    checkpoint_pending_ = false;
    c.exec("PRAGMA wal_checkpoint(PASSIVE)");
  }));
}

int SqliteSessionDatabase::on_commit(void* self, sqlite3*, const char*, int wal_pages) {
  if (wal_pages >= checkpoint_pages)
    static_cast<SqliteSessionDatabase*>(self)->request_checkpoint();
  return SQLITE_OK;
}

std::shared_ptr<SqliteSessionDatabase> open_sqlite_session_database(SqliteDatabaseOptions options) {
  if (options.path.empty())
    throw StoreOpenError(make_error_code(StoreErrc::invalid_argument),
                         "session database path is empty");
  // Built against 3.35 or later, but the library loaded may be older: the reported cleanup needs
  // DELETE ... RETURNING.
  if (sqlite3_libversion_number() < 3035000)
    throw StoreOpenError(make_error_code(StoreErrc::unavailable),
                         std::string("SQLite ") + sqlite3_libversion() +
                             " is too old for the session database: 3.35 or later is needed");
  return std::make_shared<SqliteSessionDatabase>(std::move(options));
}

}  // namespace gatehouse
