#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include "conformance/user_session_cleanup_conformance.hpp"
#include "conformance/user_session_listing_conformance.hpp"
#include "conformance/user_session_partitions_conformance.hpp"
#include "conformance/user_session_store_conformance.hpp"
#include "support/temp_dir.hpp"

#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

extern char** environ;

namespace gatehouse::testing {
namespace {

struct SqliteTraits {
  TempDir dir;
  std::string path = dir.file("sessions.db");

  std::shared_ptr<UserSessionStore> open(const UserSessionStoreContext& context) {
    return std::make_shared<SqliteUserSessionStore>(context, path);
  }

  // Another connection holds the write lock: the store's writer waits in its busy handler (5 s),
  // so writes queue until the guard goes.
  std::shared_ptr<void> hold_writes() { return hold_write_lock(path); }

  static std::shared_ptr<void> hold_write_lock(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot take the write lock: " << sqlite3_errmsg(db);
      sqlite3_close(db);
      return nullptr;
    }
    return std::shared_ptr<void>(db, [](void* d) {
      auto* handle = static_cast<sqlite3*>(d);
      sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
      sqlite3_close(handle);
    });
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, UserSessionStoreConformance, ::testing::Types<SqliteTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, UserSessionStoreCleanupConformance,
                               ::testing::Types<SqliteTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, UserSessionStoreListingConformance,
                               ::testing::Types<SqliteTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, UserSessionStorePartitionsConformance,
                               ::testing::Types<SqliteTraits>);

// Runs raw SQL on a database file (to build hostile files and inspect results).
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_free(error);
  sqlite3_close(db);
}

std::string raw_text(const std::string& path, const std::string& sql, int column = 0) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      if (!out.empty()) out += ",";
      auto* t = sqlite3_column_text(stmt, column);
      out += t ? reinterpret_cast<const char*>(t) : "NULL";
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

StoreErrc open_error(SqliteUserSessionStoreOptions options, std::string* what = nullptr) {
  try {
    SqliteUserSessionStore store(std::move(options));
  } catch (const StoreOpenError& e) {
    if (what) *what = e.what();
    return static_cast<StoreErrc>(e.code().value());
  }
  ADD_FAILURE() << "store opened";
  return StoreErrc{};
}

class SqliteStore : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.file("sessions.db");
  boost::asio::io_context io_;
  ManualClock clock_;
};

TEST_F(SqliteStore, SessionsSurviveCloseAndReopen) {
  auto s = make_session("k", "alice", "sid", clock_.now());
  {
    SqliteUserSessionStore store({.path = path_, .partition = "app"});
    ASSERT_TRUE(run(io_, store.create_user_session(s)));
  }
  SqliteUserSessionStore store({.path = path_, .partition = "app"});
  auto got = run(io_, store.get_user_session("k"));
  ASSERT_TRUE(got && *got);
  s.partition_key = "app";
  s.version = 1;
  EXPECT_EQ(**got, s);
}

// The store turns SQLite's memory statistics off before its first connection (each statistic
// update takes one process-wide mutex, which io threads reading at once waited on); SQLite then
// counts nothing. Each test runs in a process of its own, so this store is the first user here.
TEST_F(SqliteStore, OpensWithSqliteMemoryStatisticsOff) {
  SqliteUserSessionStore store({.path = path_, .partition = "app"});
  ASSERT_TRUE(run(io_, store.create_user_session(make_session("k", "alice", "sid", clock_.now()))));
  ASSERT_TRUE(run(io_, store.get_user_session("k")));
  EXPECT_EQ(sqlite3_memory_used(), 0);
}

TEST_F(SqliteStore, SchemaHasTheUniqueIndexesAndAVersion) {
  { SqliteUserSessionStore store({.path = path_}); }
  EXPECT_EQ(raw_text(path_, "PRAGMA user_version"), std::to_string(sqlite_schema_version));
  EXPECT_EQ(raw_text(path_, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw_text(path_,
                     "SELECT name FROM sqlite_schema WHERE type='index' AND sql LIKE '%UNIQUE%' "
                     "ORDER BY name"),
            "ux_user_sessions_key,ux_user_sessions_sid,ux_user_sessions_subject_sid");
  EXPECT_EQ(raw_text(path_,
                     "EXPLAIN QUERY PLAN DELETE FROM user_sessions WHERE id IN (SELECT id "
                     "FROM user_sessions WHERE partition_key = 'a' AND expires < 5 LIMIT 3)",
                     3)
                    .find("ix_user_sessions_expires") != std::string::npos,
            true);
}

TEST_F(SqliteStore, KillNineDuringWriteBurstKeepsEveryAcknowledgedWrite) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::string exe = GATEHOUSE_CRASH_WRITER;
  char* argv[] = {exe.data(), path_.data(), nullptr};
  pid_t child = 0;
  ASSERT_EQ(posix_spawn(&child, exe.c_str(), &actions, nullptr, argv, environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);

  std::set<std::string> acknowledged;
  std::string pending;
  char buf[4096];
  bool killed = false;
  for (;;) {
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    pending.append(buf, static_cast<std::size_t>(n));
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      acknowledged.insert(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
    if (!killed && acknowledged.size() >= 3000) {
      kill(child, SIGKILL);  // mid-burst: 32 creates are in flight
      killed = true;
    }
  }
  close(out[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(killed) << "writer ended early, status " << status;
  ASSERT_TRUE(WIFSIGNALED(status));

  SqliteUserSessionStore store({.path = path_, .partition = "crash"});
  for (const auto& key : acknowledged) {
    auto got = run(io_, store.get_user_session(key));
    ASSERT_TRUE(got) << got.error().message();
    ASSERT_TRUE(*got) << "acknowledged write lost: " << key;
    EXPECT_EQ((*got)->ticket.size(), 2048u);
  }
  EXPECT_EQ(raw_text(path_, "PRAGMA integrity_check"), "ok");
}

TEST_F(SqliteStore, CorruptFileIsRefusedWithANamedError) {
  std::ofstream(path_, std::ios::binary) << std::string(8192, '\x5a');
  std::string what;
  EXPECT_EQ(open_error({.path = path_}, &what), StoreErrc::corrupt);
  EXPECT_NE(what.find(path_), std::string::npos) << what;
  std::ifstream in(path_, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), std::string(8192, '\x5a'))
      << "the file must not be altered";
}

TEST_F(SqliteStore, ForeignDatabaseIsNeverTouched) {
  raw_exec(path_,
           "CREATE TABLE invoices (id INTEGER PRIMARY KEY); INSERT INTO invoices DEFAULT VALUES;");
  std::string what;
  EXPECT_EQ(open_error({.path = path_}, &what), StoreErrc::corrupt);
  EXPECT_NE(what.find("not a gatehouse session database"), std::string::npos) << what;
  EXPECT_EQ(raw_text(path_, "SELECT count(*) FROM sqlite_schema"), "1");
}

TEST_F(SqliteStore, NewerSchemaVersionIsRefused) {
  { SqliteUserSessionStore store({.path = path_}); }
  raw_exec(path_, "PRAGMA user_version = 99");
  std::string what;
  EXPECT_EQ(open_error({.path = path_}, &what), StoreErrc::unsupported_version);
  EXPECT_NE(what.find("99"), std::string::npos) << what;
}

TEST_F(SqliteStore, UnwritableLocationsAreUnavailable) {
  std::string what;
  EXPECT_EQ(open_error({.path = dir_.file("missing-dir/sessions.db")}, &what),
            StoreErrc::unavailable);
  EXPECT_NE(what.find("missing-dir"), std::string::npos) << what;
  EXPECT_EQ(open_error({.path = dir_.path().string()}), StoreErrc::unavailable);
}

TEST_F(SqliteStore, BadOptionsAreInvalidArguments) {
  EXPECT_EQ(open_error({.path = ""}), StoreErrc::invalid_argument);
  EXPECT_EQ(open_error({.path = path_, .partition = std::string(201, 'p')}),
            StoreErrc::invalid_argument);
}

TEST_F(SqliteStore, ConcurrentCreatesAreCommittedTogether) {
  SqliteUserSessionStore store({.path = path_, .partition = "app"});
  constexpr int n = 500;
  int acknowledged = 0;
  // While another connection holds the write lock, every create queues behind the first one;
  // then they commit in groups of at most max_writes_per_commit (256): 1 + 2 transactions.
  auto hold = SqliteTraits::hold_write_lock(path_);
  ASSERT_TRUE(hold);
  for (int i = 0; i < n; ++i) {
    boost::asio::co_spawn(
        io_,
        [&, i]() -> boost::asio::awaitable<void> {
          auto r = co_await store.create_user_session(
              make_session("g" + std::to_string(i), "alice", std::nullopt, clock_.now()));
          if (r) ++acknowledged;
        },
        boost::asio::detached);
  }
  io_.poll();  // every create is queued
  EXPECT_EQ(acknowledged, 0);
  hold.reset();
  io_.run();
  EXPECT_EQ(acknowledged, n);
  EXPECT_EQ(raw_text(path_, "SELECT count(*) FROM user_sessions"), std::to_string(n));
  const auto stats = store.statistics();
  EXPECT_EQ(stats.writes, static_cast<std::uint64_t>(n));
  EXPECT_LE(stats.commits, 3u) << "without group commit this is one transaction per create";
}

// Gets run on the awaiting thread (no hop); a coroutine looping over them must still let the rest
// of its io_context run, e.g. a write's completion.
TEST_F(SqliteStore, ALoopOfGetsLetsOtherWorkOnItsThreadRun) {
  SqliteUserSessionStore store({.path = path_, .partition = "app"});
  ASSERT_TRUE(run(
      io_, store.create_user_session(make_session("hot", "alice", std::nullopt, clock_.now()))));
  bool written = false;
  int gets = 0;
  boost::asio::co_spawn(
      io_,
      [&]() -> boost::asio::awaitable<void> {
        while (!written && gets < 100'000) {
          auto got = co_await store.get_user_session("hot");
          EXPECT_TRUE(got && *got);
          ++gets;
        }
      },
      boost::asio::detached);
  boost::asio::co_spawn(
      io_,
      [&]() -> boost::asio::awaitable<void> {
        auto r = co_await store.create_user_session(
            make_session("other", "bob", std::nullopt, clock_.now()));
        EXPECT_TRUE(r);
        written = true;
      },
      boost::asio::detached);
  io_.restart();
  io_.run();
  EXPECT_TRUE(written) << gets << " gets";
  EXPECT_LT(gets, 100'000) << "the write's completion never ran beside the loop of gets";
}

// The gets that reach a thread in one turn of its event loop share one read transaction.
TEST_F(SqliteStore, GetsOfOneTurnShareOneReadTransaction) {
  SqliteUserSessionStore store({.path = path_, .partition = "app"});
  constexpr int n = 40;
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(run(io_, store.create_user_session(make_session("b" + std::to_string(i), "alice",
                                                                std::nullopt, clock_.now()))));
  const auto before = store.statistics();
  int found = 0;
  for (int i = 0; i < n; ++i) {
    boost::asio::co_spawn(
        io_,
        [&, i]() -> boost::asio::awaitable<void> {
          auto got = co_await store.get_user_session("b" + std::to_string(i));
          if (got && *got && (*got)->key == "b" + std::to_string(i)) ++found;
        },
        boost::asio::detached);
  }
  io_.restart();
  io_.run();
  EXPECT_EQ(found, n);
  const auto after = store.statistics();
  EXPECT_EQ(after.inline_reads - before.inline_reads, static_cast<std::uint64_t>(n));
  EXPECT_EQ(after.read_transactions - before.read_transactions, 1u)
      << "without batching this is one transaction per get";
}

// Revocation through a warm batch: while other coroutines keep this thread's batches busy, a get
// issued after a delete was acknowledged never sees the deleted row (a read transaction kept
// open across turns would serve the old snapshot).
TEST_F(SqliteStore, AGetAfterAnAcknowledgedDeleteNeverSeesTheRowInABusyBatch) {
  SqliteUserSessionStore store({.path = path_, .partition = "app"});
  ASSERT_TRUE(
      run(io_, store.create_user_session(make_session("busy", "bob", std::nullopt, clock_.now()))));
  bool done = false;
  int stale = 0, checked = 0;
  for (int r = 0; r < 8; ++r) {
    boost::asio::co_spawn(
        io_,
        [&]() -> boost::asio::awaitable<void> {
          while (!done) EXPECT_TRUE(co_await store.get_user_session("busy"));
        },
        boost::asio::detached);
  }
  boost::asio::co_spawn(
      io_,
      [&]() -> boost::asio::awaitable<void> {
        for (int i = 0; i < 100; ++i) {
          const std::string key = "gone" + std::to_string(i);
          EXPECT_TRUE(co_await store.create_user_session(
              make_session(key, "alice", std::nullopt, clock_.now())));
          auto seen = co_await store.get_user_session(key);
          EXPECT_TRUE(seen && *seen);
          EXPECT_TRUE(co_await store.delete_user_session(key));
          auto after = co_await store.get_user_session(key);
          EXPECT_TRUE(after);
          if (after && *after) ++stale;
          ++checked;
        }
        done = true;
      },
      boost::asio::detached);
  io_.restart();
  io_.run();
  EXPECT_EQ(checked, 100);
  EXPECT_EQ(stale, 0);
}

// Gets from several threads at once: io_contexts of one thread each (as the server runs them)
// and one io_context run by two threads, where a batch's flush may run on another thread than
// the gets that joined it. Every get must see its own session (ThreadSanitizer runs this).
TEST_F(SqliteStore, GetsFromSeveralThreadsEachSeeTheirOwnSession) {
  SqliteUserSessionStore store({.path = path_, .partition = "app"});
  constexpr int keys = 32;
  for (int i = 0; i < keys; ++i)
    ASSERT_TRUE(run(
        io_, store.create_user_session(make_session(
                 "t" + std::to_string(i), "u" + std::to_string(i), std::nullopt, clock_.now()))));
  std::atomic<int> wrong{0}, answered{0};
  const auto spawn_readers = [&](auto executor, int count) {
    for (int c = 0; c < count; ++c) {
      boost::asio::co_spawn(
          executor,
          [&, c]() -> boost::asio::awaitable<void> {
            for (int i = 0; i < 200; ++i) {
              const int k = (c * 7 + i) % keys;
              auto got = co_await store.get_user_session("t" + std::to_string(k));
              if (!got || !*got || (*got)->subject_id != "u" + std::to_string(k)) ++wrong;
              ++answered;
            }
          },
          boost::asio::detached);
    }
  };
  boost::asio::io_context one, two, shared;
  spawn_readers(one.get_executor(), 8);
  spawn_readers(two.get_executor(), 8);
  for (int s = 0; s < 8; ++s) spawn_readers(boost::asio::make_strand(shared), 1);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { one.run(); });
  threads.emplace_back([&] { two.run(); });
  threads.emplace_back([&] { shared.run(); });
  threads.emplace_back([&] { shared.run(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered.load(), 24 * 200);
  EXPECT_EQ(wrong.load(), 0);
}

// Without inline readers every get goes to the reader threads, and no batch runs.
TEST_F(SqliteStore, WithoutInlineReadersGetsUseTheReaderThreads) {
  SqliteUserSessionStore store({.path = path_, .partition = "app", .inline_readers = 0});
  ASSERT_TRUE(
      run(io_, store.create_user_session(make_session("r", "alice", std::nullopt, clock_.now()))));
  auto got = run(io_, store.get_user_session("r"));
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->key, "r");
  EXPECT_EQ(store.statistics().read_transactions, 0u);
  EXPECT_EQ(store.statistics().inline_reads, 0u);
}

// `top -H` and gdb tell the store's threads apart: the writer, the readers, the checkpointer.
TEST_F(SqliteStore, ItsThreadsAreNamed) {
  SqliteUserSessionStore store({.path = path_, .partition = "app", .reader_threads = 2});
  std::multiset<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    names.insert(name);
  }
  EXPECT_EQ(names.count("gh-sqlite-write"), 1u);
  EXPECT_EQ(names.count("gh-sqlite-read"), 2u);
  EXPECT_EQ(names.count("gh-sqlite-ckpt"), 1u);
}

TEST_F(SqliteStore, PartitionsOfOneDatabaseShareOneWriter) {
  auto store = std::make_shared<SqliteUserSessionStore>(
      SqliteUserSessionStoreOptions{.path = path_, .partition = "app"});
  auto replay = std::dynamic_pointer_cast<SqliteUserSessionStore>(store->open_partition("jti"));
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->database(), store->database()) << "one engine, not a second writer";
  auto hold = SqliteTraits::hold_write_lock(path_);
  ASSERT_TRUE(hold);
  int acknowledged = 0;
  for (int i = 0; i < 20; ++i) {
    auto& target = i % 2 ? *store : *replay;
    boost::asio::co_spawn(
        io_,
        [&, i]() -> boost::asio::awaitable<void> {
          if (co_await target.create_user_session(
                  make_session("p" + std::to_string(i), "alice", std::nullopt, clock_.now())))
            ++acknowledged;
        },
        boost::asio::detached);
  }
  io_.poll();
  hold.reset();
  io_.run();
  EXPECT_EQ(acknowledged, 20);
  EXPECT_EQ(store->statistics().commits, replay->statistics().commits);
  EXPECT_LE(store->statistics().commits, 2u) << "both partitions' writes commit together";
  EXPECT_EQ(raw_text(path_, "SELECT count(*) FROM user_sessions WHERE partition_key = 'jti'"),
            "10");
}

}  // namespace
}  // namespace gatehouse::testing
