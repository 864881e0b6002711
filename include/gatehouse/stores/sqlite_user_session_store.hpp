// The embedded default store: one SQLite database file in WAL mode.
//
// Reads run on a small pool of reader connections and writes on one writer connection, each on
// threads of the store's own, so an Asio event loop never blocks on disk. Concurrent writes are
// committed together (group commit): each is acknowledged only after its transaction commits.
// WAL checkpoints run on a thread of their own, so they never stall queued writes.
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/user_session_store.hpp>

#include <boost/system/system_error.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse {

struct SqliteUserSessionStoreOptions {
  std::string path;       // the database file; created with the schema when missing
  std::string partition;  // application name
  Clock clock = system_clock();
  std::size_t reader_threads = 2;
  std::chrono::milliseconds busy_timeout{5000};
  std::size_t max_writes_per_commit = 256;  // upper bound of one group commit
};

// Opening failed: code() is a StoreErrc (unavailable, corrupt, unsupported_version,
// invalid_argument) and what() names the file and the problem.
class StoreOpenError : public boost::system::system_error {
 public:
  StoreOpenError(boost::system::error_code ec, const std::string& what)
      : boost::system::system_error(ec, what) {}
};

// The schema version this build writes; databases of a newer version are refused.
inline constexpr int sqlite_schema_version = 1;

class SqliteUserSessionStore final : public UserSessionStore, public UserSessionStoreCleanup {
 public:
  // Opens (creating or migrating) the database. Throws StoreOpenError.
  explicit SqliteUserSessionStore(SqliteUserSessionStoreOptions options);
  // For the builder: the context's partition and clock, the file at `path`.
  SqliteUserSessionStore(const UserSessionStoreContext& context, std::string path);
  // Finishes every queued operation, then closes the connections.
  ~SqliteUserSessionStore() override;

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

  // Not part of the store contract (other stores may have no cheap way to enumerate): every
  // session of the partition, one page at a time, in key order (keyset pagination, so a session
  // created or deleted between pages never shifts the others). Runs on the reader pool with the
  // usual outcomes: `after` empty or oversized, or `limit` outside 1..max_page_size ->
  // invalid_argument; unavailable; cancelled.
  static constexpr std::size_t max_page_size = 1000;
  struct ListPage {
    std::optional<std::string> after;  // start after this key; none: from the first session
    std::size_t limit = 100;           // at most this many sessions
  };
  struct Page {
    std::vector<UserSession> sessions;
    std::optional<std::string> next;  // `after` for the following page; none: this was the last
  };
  boost::asio::awaitable<StoreResult<Page>> list_user_sessions(ListPage page);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse
