// The shared store: sessions in a PostgreSQL database, for several gatehouse instances at once.
//
// A PostgresSessionDatabase is the engine for one database and schema: a bounded pool of libpq
// connections driven asynchronously on an io thread of its own (no thread blocks on a query), one
// prepared statement per operation, every value a parameter. An operation is acknowledged only
// after its transaction committed. Each operation is bounded by `timeout`: a server that is down,
// unreachable or stuck answers StoreErrc::unavailable within it, and the pool reconnects (with
// backoff) once the server is back, without reopening the store. A PostgresUserSessionStore is
// one partition of such an engine; several partitions (sessions, back-channel replay records,
// refresh leases) share one engine and so one pool (open_partition()).
//
// The schema (tables in `schema`) is created and migrated by gatehouse under an advisory lock, so
// instances starting together do not race; a schema holding tables that are not gatehouse's, or
// written by a newer gatehouse, is refused and left untouched.
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/store_error.hpp>
#include <gatehouse/session/user_session_store.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse {

struct PostgresStoreOptions {
  std::string url;  // libpq URI or key=value; never logged
  std::size_t pool = 8;
  std::chrono::milliseconds timeout{2000};  // per operation: StoreErrc::unavailable after it
  std::string schema = "gatehouse";
  bool auto_migrate = true;  // create/migrate the schema when opening
};

// The schema version this build writes; schemas of a newer version are refused.
inline constexpr int postgres_schema_version = 1;

// The engine for one database and schema. Lives as long as the longest-lived store using it;
// when the last one goes, every queued operation finishes, then the connections close.
class PostgresSessionDatabase;

// Connects, checks the schema (creating or migrating it with auto_migrate) and starts the pool.
// Throws StoreOpenError: invalid_argument (options), unavailable (cannot connect; schema missing
// or old without auto_migrate: "run `gatehouse migrate`"), corrupt (tables that are not
// gatehouse's), unsupported_version (a newer schema).
std::shared_ptr<PostgresSessionDatabase> open_postgres_session_database(
    PostgresStoreOptions options);

// Operations run on the engine's io thread; the awaiting coroutine resumes on its own executor.
// A cancelled operation still waiting for a connection is dropped; one already sent is cancelled
// on the server (PQcancel): it reports `cancelled` when the server rolled it back, its result
// when it had committed.
class PostgresUserSessionStore final : public UserSessionStore,
                                       public UserSessionStoreCleanup,
                                       public UserSessionStoreListing,
                                       public UserSessionStorePartitions {
 public:
  // For the builder: the context's partition and clock, an engine of its own. Throws
  // StoreOpenError.
  PostgresUserSessionStore(const UserSessionStoreContext& context, PostgresStoreOptions options);
  // A partition of an engine that is already open. Throws StoreOpenError (invalid_argument) for
  // an oversized partition.
  PostgresUserSessionStore(std::shared_ptr<PostgresSessionDatabase> database, std::string partition,
                           Clock clock = system_clock());
  ~PostgresUserSessionStore() override;

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
  // Batches of DELETE … FOR UPDATE SKIP LOCKED: cleanups of several instances share the work
  // without waiting for each other or counting a session twice.
  boost::asio::awaitable<StoreResult<std::size_t>> delete_expired_sessions(
      DeleteExpiredOptions options = {}) override;
  // Walks the (partition, key) primary key in byte order: no sort.
  boost::asio::awaitable<StoreResult<UserSessionPage>> list_user_sessions(
      UserSessionPageRequest page) override;
  // Same engine, same clock.
  std::shared_ptr<UserSessionStore> open_partition(std::string partition) override;

  const std::shared_ptr<PostgresSessionDatabase>& database() const { return database_; }

 private:
  std::shared_ptr<PostgresSessionDatabase> database_;
  std::string partition_;
  Clock clock_;
};

// What migrate_postgres_schema() found and did.
enum class PostgresSchemaAction { up_to_date, created, migrated };

// `gatehouse migrate`: creates or migrates the schema (under an advisory lock, in one
// transaction); throws StoreOpenError naming the problem. Ignores options.auto_migrate.
PostgresSchemaAction migrate_postgres_schema(const PostgresStoreOptions& options);

}  // namespace gatehouse
