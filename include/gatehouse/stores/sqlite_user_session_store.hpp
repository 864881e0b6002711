// The embedded default store: one SQLite database file in WAL mode.
//
// A SqliteSessionDatabase is the engine for one file: a small pool of reader connections, one
// writer connection and a checkpointer, each on threads of its own, so an Asio event loop never
// blocks on disk. Concurrent writes are committed together (group commit): each is acknowledged
// only after its transaction commits. WAL checkpoints run on their own thread, so they never
// stall queued writes. A SqliteUserSessionStore is one partition of such an engine; several
// partitions (sessions, back-channel replay records, refresh leases) share one engine and so one
// writer (open_partition()).
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/store_error.hpp>
#include <gatehouse/session/user_session_store.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse {

struct SqliteDatabaseOptions {
  std::string path;  // the database file; created with the schema when missing
  std::size_t reader_threads = 2;
  std::chrono::milliseconds busy_timeout{5000};
  std::size_t max_writes_per_commit = 256;  // upper bound of one group commit
  // Connections the awaiting thread uses itself for gets by key (no hop to a reader thread);
  // 0: every read goes to the reader threads. See get_user_session().
  std::size_t inline_readers = 8;
};

// What an engine has done since it was opened (for tests and metrics).
struct SqliteDatabaseStatistics {
  std::uint64_t commits = 0;  // write transactions committed
  std::uint64_t writes = 0;   // write operations acknowledged by those commits
  // Gets by key answered on the inline readers, and the read transactions they shared (gets
  // queued on one thread in one turn of its event loop share one).
  std::uint64_t inline_reads = 0;
  std::uint64_t read_transactions = 0;
};

// The schema version this build writes; databases of a newer version are refused.
inline constexpr int sqlite_schema_version = 2;

// The engine for one database file. Lives as long as the longest-lived store using it; when the
// last one goes, every queued operation finishes, then the connections close.
class SqliteSessionDatabase;

// Opens (creating or migrating) the database. Throws StoreOpenError.
std::shared_ptr<SqliteSessionDatabase> open_sqlite_session_database(SqliteDatabaseOptions options);

struct SqliteUserSessionStoreOptions {
  std::string path;       // the database file; created with the schema when missing
  std::string partition;  // application name
  Clock clock = system_clock();
  std::size_t reader_threads = 2;
  std::chrono::milliseconds busy_timeout{5000};
  std::size_t max_writes_per_commit = 256;  // upper bound of one group commit
  std::size_t inline_readers = 8;           // see SqliteDatabaseOptions
};

// Reads complete on a reader thread and writes on the writer thread; either way the awaiting
// coroutine resumes on its own executor.
class SqliteUserSessionStore final : public UserSessionStore,
                                     public UserSessionStoreCleanup,
                                     public UserSessionStoreListing,
                                     public UserSessionStorePartitions {
 public:
  // Opens an engine of its own. Throws StoreOpenError.
  explicit SqliteUserSessionStore(SqliteUserSessionStoreOptions options);
  // For the builder: the context's partition and clock, the file at `path`.
  SqliteUserSessionStore(const UserSessionStoreContext& context, std::string path);
  // A partition of an engine that is already open. Throws StoreOpenError (invalid_argument) for
  // an oversized partition.
  SqliteUserSessionStore(std::shared_ptr<SqliteSessionDatabase> database, std::string partition,
                         Clock clock = system_clock());
  ~SqliteUserSessionStore() override;

  // Runs on the awaiting thread's own event loop when one of the engine's inline read
  // connections is idle (a point read of a cached page costs microseconds; a hop to a reader
  // thread and back costs more than that), otherwise on a reader thread. The gets that reach a
  // thread in one turn of its loop share one read transaction, each still issued after
  // everything committed before it.
  boost::asio::awaitable<StoreResult<std::optional<UserSession>>> get_user_session(
      std::string key) override;
  boost::asio::awaitable<StoreResult<void>> create_user_session(UserSession session) override;
  boost::asio::awaitable<StoreResult<void>> update_user_session(std::string key,
                                                                UserSessionUpdate update) override;
  boost::asio::awaitable<StoreResult<void>> delete_user_session(std::string key) override;
  boost::asio::awaitable<StoreResult<std::vector<UserSession>>> get_user_sessions(
      UserSessionsFilter filter) override;
  boost::asio::awaitable<StoreResult<std::size_t>> delete_user_sessions(
      UserSessionsFilter filter) override;
  // Deletes in batches, each its own short write; then a WAL checkpoint runs in the background.
  boost::asio::awaitable<StoreResult<std::size_t>> delete_expired_sessions(
      DeleteExpiredOptions options = {}) override;
  // Walks the (partition, key) unique index: no sort, no extra index.
  boost::asio::awaitable<StoreResult<UserSessionPage>> list_user_sessions(
      UserSessionPageRequest page) override;
  // Same engine, same clock.
  std::shared_ptr<UserSessionStore> open_partition(std::string partition) override;

  const std::shared_ptr<SqliteSessionDatabase>& database() const { return database_; }
  SqliteDatabaseStatistics statistics() const;

 private:
  std::shared_ptr<SqliteSessionDatabase> database_;
  std::string partition_;
  Clock clock_;
};

}  // namespace gatehouse
