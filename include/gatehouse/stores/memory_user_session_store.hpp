// In-memory user session store for tests and development: indexed by key, subject, session id
// and expiry (no linear scans), thread-safe, with cleanup and listing. Nothing survives the
// process.
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/user_session_store.hpp>

#include <memory>
#include <string>

namespace gatehouse {

// The shared "database": several stores with different partitions may use one, as apps share a
// database file; each still sees only its own partition.
class InMemorySessionDatabase;
std::shared_ptr<InMemorySessionDatabase> make_in_memory_session_database();

struct InMemoryUserSessionStoreOptions {
  std::string partition;
  Clock clock = system_clock();
  std::shared_ptr<InMemorySessionDatabase> database;  // null: a private database
};

// Operations complete inline on the awaiting coroutine's executor.
class InMemoryUserSessionStore final : public UserSessionStore,
                                       public UserSessionStoreCleanup,
                                       public UserSessionStoreListing,
                                       public UserSessionStorePartitions {
 public:
  // Throws std::invalid_argument for an oversized partition (a configuration error).
  explicit InMemoryUserSessionStore(InMemoryUserSessionStoreOptions options = {});
  explicit InMemoryUserSessionStore(const UserSessionStoreContext& context);
  ~InMemoryUserSessionStore() override;

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
  boost::asio::awaitable<StoreResult<std::size_t>> delete_expired_sessions(
      DeleteExpiredOptions options = {}) override;
  boost::asio::awaitable<StoreResult<UserSessionPage>> list_user_sessions(
      UserSessionPageRequest page) override;
  // The same database and clock.
  std::shared_ptr<UserSessionStore> open_partition(std::string partition) override;

 private:
  std::string partition_;
  Clock clock_;
  std::shared_ptr<InMemorySessionDatabase> database_;
};

}  // namespace gatehouse
