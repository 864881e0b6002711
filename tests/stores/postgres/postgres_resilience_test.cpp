// What a shared store must survive: the server stopping, hanging or crashing, gatehouse crashing,
// several engines (instances) on one database, cleanups racing, callers on many threads.
#include "conformance/store_fixture.hpp"
#include "stores/postgres/crash_writer.hpp"
#include "stores/postgres/postgres_database.hpp"
#include "stores/postgres/postgres_test_support.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <latch>
#include <set>
#include <sstream>
#include <thread>

namespace gatehouse::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Whatever a test did to the server, the tests after it find it running.
struct ServerBack {
  ~ServerBack() {
    PostgresServer::shared().resume();
    PostgresServer::shared().start();
  }
};

template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit = 15s) {
  for (const auto until = Clock::now() + limit; Clock::now() < until;) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

std::set<std::string> split(const std::string& joined) {
  std::set<std::string> out;
  std::istringstream in(joined);
  for (std::string item; std::getline(in, item, ',');) out.insert(item);
  return out;
}

class PostgresResilience : public ::testing::Test {
 protected:
  std::shared_ptr<PostgresUserSessionStore> open(std::chrono::milliseconds timeout = 2s,
                                                 std::string url = "") {
    auto o = options_for(schema_, timeout);
    if (!url.empty()) o.url = std::move(url);
    return std::make_shared<PostgresUserSessionStore>(
        UserSessionStoreContext{"app", clock_.clock()}, std::move(o));
  }
  template <class T>
  T run(boost::asio::awaitable<T> aw) {
    return testing::run(io_, std::move(aw));
  }
  UserSession session(const std::string& key, std::optional<std::string> sid = std::nullopt) {
    return make_session(key, "alice", std::move(sid), clock_.now());
  }
  std::set<std::string> stored(const std::string& partition) {
    return split(server_.query("SELECT string_agg(key, ',') FROM " + schema_ +
                               ".user_sessions WHERE partition_key = '" + partition + "'"));
  }
  // How long `operation` took; it must have answered `unavailable`.
  template <class T>
  std::chrono::milliseconds unavailable_after(boost::asio::awaitable<StoreResult<T>> operation) {
    const auto started = Clock::now();
    auto r = run(std::move(operation));
    EXPECT_EQ(r ? boost::system::error_code{} : r.error(), StoreErrc::unavailable);
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  }
  // The same store (no reopening) reads session "k" again.
  bool serves_again(UserSessionStore& store) {
    return eventually([&] {
      auto r = run(store.get_user_session("k"));
      return r && *r;
    });
  }
  void expect_all_stored(const CrashWriter& writer) {
    const auto keys = stored("crash");
    std::size_t lost = 0;
    for (const auto& key : writer.acknowledged())
      if (!keys.count(key) && ++lost <= 5) ADD_FAILURE() << "acknowledged write lost: " << key;
    EXPECT_EQ(lost, 0u) << "of " << writer.acknowledged().size();
  }

  ServerBack back_;
  PostgresServer& server_ = PostgresServer::shared();
  std::string schema_ = fresh_schema();
  ManualClock clock_;
  boost::asio::io_context io_;
};

TEST_F(PostgresResilience, AStoppedServerIsUnavailableAtOnceAndServesAgainWhenBack) {
  constexpr auto timeout = 500ms;
  auto store = open(timeout);
  ASSERT_TRUE(run(store->create_user_session(session("k"))));
  server_.stop();
  for (int i = 0; i < 3; ++i)
    EXPECT_LT(unavailable_after(store->get_user_session("k")), timeout + 250ms) << "attempt " << i;
  server_.start();
  EXPECT_TRUE(serves_again(*store));
  EXPECT_TRUE(run(store->create_user_session(session("k2"))));
}

TEST_F(PostgresResilience, AServerThatStopsAnsweringIsUnavailableAfterTheTimeout) {
  constexpr auto timeout = 500ms;
  auto store = open(timeout);
  ASSERT_TRUE(run(store->create_user_session(session("k"))));
  server_.pause();
  for (int i = 0; i < 2; ++i) {
    const auto took =
        unavailable_after(store->create_user_session(session("late-" + std::to_string(i))));
    EXPECT_GE(took, timeout - 50ms) << "attempt " << i;
    EXPECT_LT(took, timeout + 500ms) << "attempt " << i;
  }
  server_.resume();
  EXPECT_TRUE(serves_again(*store));
}

TEST_F(PostgresResilience, TimeoutsAreLoggedOnceASecondNamingTheOperationAndTheServer) {
  constexpr auto timeout = 300ms;
  auto store = open(timeout, server_.url() + "?password=not-for-the-log");
  ASSERT_TRUE(run(store->create_user_session(session("k"))));
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  server_.pause();
  constexpr int n = 4;
  int unavailable = 0;
  for (int i = 0; i < n; ++i)
    boost::asio::co_spawn(
        io_,
        [&]() -> boost::asio::awaitable<void> {
          auto r = co_await store->get_user_session("k");
          if (!r && r.error() == StoreErrc::unavailable) ++unavailable;
        },
        boost::asio::detached);
  io_.restart();
  io_.run();
  server_.resume();
  spdlog::set_default_logger(previous);
  EXPECT_EQ(unavailable, n);
  const auto text = log.str();
  EXPECT_NE(text.find("get_user_session on PostgreSQL 127.0.0.1:" + std::to_string(server_.port()) +
                      "/postgres timed out after 300 ms"),
            std::string::npos)
      << text;
  // Four timeouts within a second: one line (a slow machine may cross a second: two).
  const auto lines = std::count(text.begin(), text.end(), '\n');
  EXPECT_GE(lines, 1);
  EXPECT_LE(lines, 2) << text;
  EXPECT_EQ(text.find("not-for-the-log"), std::string::npos) << text;
  EXPECT_TRUE(serves_again(*store));
}

TEST_F(PostgresResilience, AStatementPastItsTimeoutIsCancelledOnTheServer) {
  auto store = open(300ms);
  ASSERT_TRUE(run(store->create_user_session(session("k"))));
  PostgresSession locker(server_.url());
  ASSERT_TRUE(locker.exec("BEGIN"));
  ASSERT_TRUE(locker.exec("LOCK TABLE " + schema_ + ".user_sessions IN ACCESS EXCLUSIVE MODE"));
  auto r = run(store->create_user_session(session("never")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), StoreErrc::unavailable);
  store->database()->wait_for_cancellations();
  ASSERT_TRUE(locker.exec("ROLLBACK"));
  // Had it only been abandoned, it would commit as soon as the lock is gone.
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(server_.query("SELECT count(*) FROM " + schema_ + ".user_sessions"), "1");
  EXPECT_TRUE(run(store->get_user_session("k")).value());
}

TEST_F(PostgresResilience, OperationsCancelledWhileTheyWaitOnTheServerAreRolledBack) {
  constexpr int n = 8;  // the pool's size
  const auto name = "gatehouse-cancel-" + schema_;
  auto store = open(5s, server_.url() + "?application_name=" + name);
  PostgresSession locker(server_.url());
  const auto lock = "LOCK TABLE " + schema_ + ".user_sessions IN ACCESS EXCLUSIVE MODE";
  auto waiting = [&] {
    return server_.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + name +
                         "' AND wait_event_type = 'Lock'") == std::to_string(n);
  };
  // Reads held up by the lock make the pool open all its connections.
  ASSERT_TRUE(locker.exec("BEGIN") && locker.exec(lock));
  int read = 0;
  for (int i = 0; i < n; ++i)
    boost::asio::co_spawn(
        io_,
        [&]() -> boost::asio::awaitable<void> {
          if (co_await store->get_user_session("nobody")) ++read;
        },
        boost::asio::detached);
  io_.poll();  // every read has reached the store
  ASSERT_TRUE(eventually(waiting));
  ASSERT_TRUE(locker.exec("ROLLBACK"));
  io_.run();
  ASSERT_EQ(read, n);

  // Creates, each sent on a connection of its own and waiting on the server, then cancelled.
  ASSERT_TRUE(locker.exec("BEGIN") && locker.exec(lock));
  std::vector<boost::asio::cancellation_signal> signals(n);
  std::vector<std::optional<StoreResult<void>>> results(n);
  for (int i = 0; i < n; ++i)
    boost::asio::co_spawn(
        io_,
        [&, i]() -> boost::asio::awaitable<void> {
          co_await boost::asio::this_coro::throw_if_cancelled(false);
          results[i] = co_await store->create_user_session(session("c" + std::to_string(i)));
        },
        boost::asio::bind_cancellation_slot(signals[i].slot(), boost::asio::detached));
  io_.restart();
  io_.poll();
  ASSERT_TRUE(eventually(waiting));
  for (auto& signal : signals) signal.emit(boost::asio::cancellation_type::terminal);
  io_.poll();  // delivers the cancellations (co_spawn posts them to the io_context)
  store->database()->wait_for_cancellations();
  ASSERT_TRUE(locker.exec("ROLLBACK"));
  io_.run();
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(results[i]) << i;
    EXPECT_EQ(*results[i] ? boost::system::error_code{} : results[i]->error(), StoreErrc::cancelled)
        << i;
  }
  EXPECT_EQ(server_.query("SELECT count(*) FROM " + schema_ + ".user_sessions"), "0");
  // The connections serve again.
  EXPECT_TRUE(run(store->create_user_session(session("after"))));
}

TEST_F(PostgresResilience, KillNineOfGatehouseMidBurstKeepsEveryAcknowledgedWrite) {
  open_postgres_session_database(options_for(schema_));
  CrashWriter writer(server_.url(), schema_);
  ASSERT_TRUE(writer.read_until(3000)) << server_.log_tail();
  const int status = writer.kill9();  // mid-burst: 32 creates in flight
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer ended by itself, status " << status;
  expect_all_stored(writer);
}

TEST_F(PostgresResilience, KillNineOfTheServerMidBurstKeepsEveryAcknowledgedWrite) {
  open_postgres_session_database(options_for(schema_));
  CrashWriter writer(server_.url(), schema_);
  ASSERT_TRUE(writer.read_until(2000)) << server_.log_tail();
  server_.kill_hard();  // mid-burst: 32 creates in flight
  const auto before_restart = writer.acknowledged().size();
  server_.start();  // crash recovery from the WAL
  ASSERT_TRUE(writer.read_until(before_restart + 1000))
      << "the writer did not write again after the restart";
  writer.kill9();
  expect_all_stored(writer);
}

TEST_F(PostgresResilience, TwoEnginesKeepCreateIfAbsentAndSessionIdsUnique) {
  auto a = open(), b = open();  // two gatehouse instances
  ASSERT_NE(a->database(), b->database());
  constexpr int keys = 100;
  boost::asio::thread_pool pool(4);
  std::atomic<int> created{0}, conflicts{0}, other{0};
  std::latch finished(2 * keys);
  const auto now = clock_.now();
  for (int i = 0; i < keys; ++i) {
    for (auto* store : {a.get(), b.get()}) {
      const auto mine = store == a.get() ? "-a" : "-b";
      boost::asio::co_spawn(
          pool,
          [=, &created, &conflicts, &other, &finished]() -> boost::asio::awaitable<void> {
            const auto n = std::to_string(i);
            // The same key from both; then different keys with the same session id.
            for (auto s : {make_session("same-key-" + n, "alice", "sid-of-key-" + n, now),
                           make_session("key-" + n + mine, "alice", "same-sid-" + n, now)}) {
              auto r = co_await store->create_user_session(std::move(s));
              (r ? created : r.error() == StoreErrc::conflict ? conflicts : other)++;
            }
            finished.count_down();
          },
          boost::asio::detached);
    }
  }
  finished.wait();
  pool.join();
  EXPECT_EQ(created.load(), 2 * keys);
  EXPECT_EQ(conflicts.load(), 2 * keys);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(server_.query("SELECT count(*) FROM " + schema_ + ".user_sessions"),
            std::to_string(2 * keys));
}

TEST_F(PostgresResilience, CompareAndSetHoldsAcrossEngines) {
  auto a = open(), b = open();
  ASSERT_TRUE(run(a->create_user_session(session("k", "sid"))));
  boost::asio::thread_pool pool(4);
  const auto now = clock_.now();
  for (std::uint64_t version = 1; version <= 5; ++version) {
    constexpr int writers = 12;
    std::atomic<int> won{0}, conflicts{0};
    std::latch finished(writers);
    for (int w = 0; w < writers; ++w) {
      auto* store = w % 2 ? a.get() : b.get();
      boost::asio::co_spawn(
          pool,
          [=, &won, &conflicts, &finished]() -> boost::asio::awaitable<void> {
            UserSessionUpdate u{
                "alice", "sid", now, now, std::nullopt, "writer-" + std::to_string(w), version};
            auto r = co_await store->update_user_session("k", std::move(u));
            if (r)
              ++won;
            else if (r.error() == StoreErrc::conflict)
              ++conflicts;
            finished.count_down();
          },
          boost::asio::detached);
    }
    finished.wait();
    EXPECT_EQ(won.load(), 1) << "version " << version;
    EXPECT_EQ(conflicts.load(), writers - 1) << "version " << version;
    auto got = run(b->get_user_session("k"));
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->version, version + 1);
  }
  pool.join();
}

TEST_F(PostgresResilience, CleanupsOfTwoEnginesShareTheWorkAndCountEachSessionOnce) {
  auto a = open(10s), b = open(10s);
  const auto now = std::to_string(clock_.now().time_since_epoch().count());
  auto insert = [&](const std::string& partition, const std::string& prefix, int n,
                    const std::string& expires) {
    server_.query("INSERT INTO " + schema_ +
                  ".user_sessions (partition_key, key, subject_id, created, renewed, expires, "
                  "ticket) SELECT '" +
                  partition + "', '" + prefix + "' || i, 's', 0, 0, " + expires +
                  ", 'ticket' FROM generate_series(1, " + std::to_string(n) + ") i");
  };
  insert("app", "old-", 6000, now + " - i");
  insert("app", "new-", 50, now + " + i");
  insert("app", "forever-", 50, "NULL");
  insert("other", "old-", 100, now + " - i");
  auto cleanup = [](PostgresUserSessionStore& store) {
    boost::asio::io_context io;
    auto removed = testing::run(io, store.delete_expired_sessions({.batch_size = 100}));
    EXPECT_TRUE(removed) << removed.error().message();
    return removed ? *removed : 0;
  };
  const auto started = Clock::now();
  std::size_t by_a = 0, by_b = 0;
  std::thread ta([&] { by_a = cleanup(*a); }), tb([&] { by_b = cleanup(*b); });
  ta.join();
  tb.join();
  EXPECT_LT(Clock::now() - started, 10s);
  EXPECT_EQ(by_a + by_b, 6000u) << by_a << " + " << by_b;
  EXPECT_EQ(stored("app").size(), 100u);
  EXPECT_EQ(stored("other").size(), 100u);
}

TEST_F(PostgresResilience, CleanupSkipsRowsAnotherSessionHasLockedInsteadOfWaiting) {
  auto store = open(2s);
  for (int i = 0; i < 10; ++i) {
    auto s = session("gone-" + std::to_string(i));
    s.expires = clock_.now() - 1s;
    ASSERT_TRUE(run(store->create_user_session(s)));
  }
  PostgresSession locker(server_.url());
  ASSERT_TRUE(locker.exec("BEGIN"));
  ASSERT_TRUE(locker.exec("SELECT key FROM " + schema_ +
                          ".user_sessions WHERE key IN ('gone-1', 'gone-2') FOR UPDATE"));
  const auto started = Clock::now();
  auto removed = run(store->delete_expired_sessions({.batch_size = 3}));
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(*removed, 8u);
  EXPECT_LT(Clock::now() - started, 1s);
  ASSERT_TRUE(locker.exec("COMMIT"));
  EXPECT_EQ(run(store->delete_expired_sessions({})).value(), 2u);
}

TEST_F(PostgresResilience, EveryOperationResumesOnTheCallersExecutor) {
  auto store = open();
  boost::asio::io_context caller;
  std::thread::id caller_thread, resumed_on;
  auto work = [&]() -> boost::asio::awaitable<void> {
    caller_thread = std::this_thread::get_id();
    co_await store->create_user_session(session("k"));
    auto got = co_await store->get_user_session("k");
    EXPECT_TRUE(got && *got);
    resumed_on = std::this_thread::get_id();
  };
  auto done = boost::asio::co_spawn(caller, work(), boost::asio::use_future);
  std::thread runner([&] { caller.run(); });
  runner.join();
  done.get();
  EXPECT_EQ(resumed_on, caller_thread) << "resumed on the engine's io thread";
}

TEST_F(PostgresResilience, NeverMoreConnectionsThanThePool) {
  const auto name = "gatehouse-pool-" + schema_;
  auto o = options_for(schema_);
  o.pool = 3;
  o.url = server_.url() + "?application_name=" + name;
  auto store =
      std::make_shared<PostgresUserSessionStore>(UserSessionStoreContext{"app", clock_.clock()}, o);
  ASSERT_TRUE(run(store->create_user_session(session("k"))));
  int found = 0;
  for (int i = 0; i < 200; ++i)
    boost::asio::co_spawn(
        io_,
        [&]() -> boost::asio::awaitable<void> {
          auto r = co_await store->get_user_session("k");
          if (r && *r) ++found;
        },
        boost::asio::detached);
  io_.restart();
  io_.run();
  EXPECT_EQ(found, 200);
  const auto connections = std::stoi(server_.query(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + name + "'"));
  EXPECT_GE(connections, 1);
  EXPECT_LE(connections, 3);
}

}  // namespace
}  // namespace gatehouse::testing
