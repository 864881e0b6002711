// The Redis store: sessions in a Redis server or a Redis Cluster, shared by every gateway
// instance that points at it.
//
// A RedisSessionEngine is the engine for one URL: it drives hiredis asynchronously on an io thread
// of its own, or, given an executor (the gateway gives its io threads'), on a strand there
// (several commands in flight on each connection), reconnects with backoff after a loss, and in a
// cluster keeps one connection per master and follows MOVED/ASK. Each operation is one Lua script
// (or one command) on the node of the partition's slot, so it is atomic there: create-if-absent,
// the session id rule and compare-and-set hold across every instance. A RedisUserSessionStore is
// one partition of an engine; open_partition() shares it.
//
// Outcomes beyond the contract's: the server unreachable, or no reply within `timeout` ->
// unavailable (and the store works again once the server is back, without reopening). A
// cancellation stops an operation only while its command is still unsent; a sent one reports
// its real outcome. Durability is Redis's: acknowledged writes survive a kill -9 of Redis only
// with `appendonly yes` and `appendfsync always` (docs/configuration.md).
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/store_error.hpp>
#include <gatehouse/session/user_session_store.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse {

struct RedisStoreOptions {
  // redis://[user:password@]host:port/db, rediss:// (TLS), redis+cluster://h:p,h:p
  std::string url;
  std::string prefix = "gatehouse";
  std::chrono::milliseconds timeout{2000};  // per operation: StoreErrc::unavailable after it
  // Empty: the engine runs hiredis on an io thread of its own, and every operation hops there
  // and back. Set (the gateway sets its io_context's): the engine runs on a strand of this
  // executor instead, so callers on it pay no thread hop. Its context must outlive the engine,
  // and once it has stopped for good nothing may run it while the engine is destroyed.
  boost::asio::any_io_executor executor;
};

// What an engine has done since it was opened (for tests and metrics).
struct RedisStoreStatistics {
  std::size_t connections_ready = 0;  // connections up and authenticated (one per master)
  std::uint64_t commands_sent = 0;    // written to Redis, retries and redirections included
  std::uint64_t reconnects = 0;       // connections re-established after a loss
  std::uint64_t redirects = 0;        // MOVED and ASK replies followed
};

// The engine for one URL and prefix. Lives as long as the longest-lived store using it.
class RedisSessionEngine;

// Connects (in a cluster: discovers the masters) within `timeout`. Throws StoreOpenError:
// invalid_argument for a bad URL, prefix or timeout, or rediss:// (this build has no TLS);
// unavailable when the server cannot be reached or refuses the credentials.
std::shared_ptr<RedisSessionEngine> open_redis_session_engine(RedisStoreOptions options);

// Every operation completes on the engine's io thread (or strand) and resumes the awaiting
// coroutine on its own executor; callers may be on any number of threads.
class RedisUserSessionStore final : public UserSessionStore,
                                    public UserSessionStoreCleanup,
                                    public UserSessionStoreListing,
                                    public UserSessionStorePartitions {
 public:
  // For the builder: the context's partition and clock on an engine of its own, attached to the
  // context's executor unless `options` names one. Throws
  // StoreOpenError, as open_redis_session_engine() does.
  RedisUserSessionStore(const UserSessionStoreContext& context, RedisStoreOptions options);
  // A partition of an engine that is already open. Throws StoreOpenError (invalid_argument) for
  // an oversized partition.
  RedisUserSessionStore(std::shared_ptr<RedisSessionEngine> engine, std::string partition,
                        Clock clock = system_clock());
  ~RedisUserSessionStore() override;

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
  // Redis drops a session's record by itself 5 minutes after its expiry (a TTL). This removes,
  // one script per batch, every session of the partition whose expiry is before the store's
  // clock, with its index entries, and returns how many it found: those whose record was still
  // there (deleted now) and those Redis had already dropped (only their index entries were
  // left). So each expired session is counted exactly once, by the first run after it expired;
  // one deleted, or updated to a later expiry, before that run is not counted.
  boost::asio::awaitable<StoreResult<std::size_t>> delete_expired_sessions(
      DeleteExpiredOptions options = {}) override;
  // Walks the partition's key index (ZRANGEBYLEX): keyset pages without a sort.
  boost::asio::awaitable<StoreResult<UserSessionPage>> list_user_sessions(
      UserSessionPageRequest page) override;
  // Same engine, same clock.
  std::shared_ptr<UserSessionStore> open_partition(std::string partition) override;

  const std::shared_ptr<RedisSessionEngine>& engine() const { return engine_; }
  RedisStoreStatistics statistics() const;

 private:
  std::shared_ptr<RedisSessionEngine> engine_;
  std::string partition_;
  Clock clock_;
  std::string base_;  // the partition's key prefix
  std::uint16_t slot_;
};

}  // namespace gatehouse
