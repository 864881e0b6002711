// Store benchmarks: gatehouse's SQLite and in-memory stores beside a raw sqlite3 baseline that
// runs the same SQL on the same schema with plain prepared statements, in the same run.
//
// Each iteration runs a batch of operations; ours with 32 coroutines in flight (as a gateway
// would), the baseline sequentially on one connection in autocommit mode. Sizes come from
// GATEHOUSE_BENCH_SIZES (default "10000,1000000"); databases are kept in GATEHOUSE_BENCH_DIR.
#include <gatehouse/stores/memory_user_session_store.hpp>
#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include "bench_population.hpp"
#include "bench_report.hpp"

#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <sstream>

namespace gatehouse::bench {
namespace {

constexpr std::size_t batch = 1000;
constexpr std::size_t concurrency = 32;
// Expired sessions a cleanup iteration removes, beside the N live ones: with
// GATEHOUSE_BENCH_CLEANUP_ROWS=500000 and GATEHOUSE_BENCH_SIZES=500000, 500k expired among 1M.
static std::size_t cleanup_rows = 20000;  // GATEHOUSE_BENCH_CLEANUP_ROWS
static std::size_t cleanup_batch = 1000;  // GATEHOUSE_BENCH_CLEANUP_BATCH

std::atomic<std::uint64_t> next_key{std::random_device{}() * 1000000000ULL + 1000000000000ULL};

void must(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark failure: %s\n", what);
    std::abort();
  }
}

// Runs `count` operations op(i) with `concurrency` coroutines in flight until all are done.
void drive(std::size_t count, const std::function<boost::asio::awaitable<void>(std::size_t)>& op) {
  boost::asio::io_context io;
  std::size_t issued = 0;
  for (std::size_t lane = 0; lane < concurrency; ++lane) {
    auto worker = [&]() -> boost::asio::awaitable<void> {
      while (issued < count) co_await op(issued++);
    };
    boost::asio::co_spawn(io, worker, boost::asio::detached);
  }
  io.run();
}

std::uint64_t random_index(std::size_t n) {
  static thread_local std::mt19937_64 rng{42};
  return rng() % n;
}

struct SqliteFixture {
  std::string path;
  std::unique_ptr<SqliteUserSessionStore> store;
  explicit SqliteFixture(std::size_t n) : path(populated_database(n)) {
    store = std::make_unique<SqliteUserSessionStore>(
        SqliteUserSessionStoreOptions{.path = path, .partition = partition});
  }
};

struct Raw {
  sqlite3* db;
  explicit Raw(const std::string& path) : db(open_raw(path)) {}
  ~Raw() { sqlite3_close(db); }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    must(sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK, sqlite3_errmsg(db));
    return s;
  }
};

// Inserts `count` fresh sessions outside the timed region; returns their first index.
std::uint64_t seed(const std::string& path, std::size_t count, std::int64_t expires_offset_ms) {
  const auto first = next_key.fetch_add(count);
  Raw raw(path);
  bulk_insert(raw.db, first, count, system_now(), expires_offset_ms);
  return first;
}

void remove_range(const std::string& path, std::uint64_t first, std::size_t count) {
  Raw raw(path);
  auto* s = raw.prepare("DELETE FROM user_sessions WHERE partition_key = 'bench' AND key = ?1");
  sqlite3_exec(raw.db, "BEGIN", nullptr, nullptr, nullptr);
  for (auto i = first; i < first + count; ++i) {
    const auto key = "key-" + std::to_string(i);
    sqlite3_bind_text(s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(s);
    sqlite3_reset(s);
  }
  sqlite3_exec(raw.db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_finalize(s);
}

constexpr std::int64_t hour_ms = 3600 * 1000;
// Updates keep the populated sessions alive: the databases are reused across runs, and a
// session that expired would be removed by the next cleanup benchmark.
constexpr std::int64_t far_future_ms = 10LL * 365 * 24 * hour_ms;

// The sessions a cleanup removes, written to disk before it starts: sessions expire long after
// they were written, so the kernel writing back the seed must not run beside the timed cleanup.
void seed_expired(const std::string& path) {
  seed(path, cleanup_rows, -hour_ms);
  ::sync();
}

// ---- gatehouse stores (generic over the store type) ----

template <class Store>
void store_ops(benchmark::State& state, Store& store, const std::string& op, std::size_t n,
               const std::string& path) {
  const auto now = system_now();
  for (auto _ : state) {
    if (op == "get") {
      drive(batch, [&](std::size_t) -> boost::asio::awaitable<void> {
        auto r = co_await store.get_user_session("key-" + std::to_string(random_index(n)));
        must(r && *r, "get");
      });
    } else if (op == "get_by_filter") {
      drive(batch, [&](std::size_t) -> boost::asio::awaitable<void> {
        UserSessionsFilter f{.subject_id = "user-" + std::to_string(random_index(n / 2))};
        auto r = co_await store.get_user_sessions(f);
        must(r && r->size() == 2, "get_by_filter");
      });
    } else if (op == "update") {
      drive(batch, [&](std::size_t) -> boost::asio::awaitable<void> {
        auto s = session_at(random_index(n), now);
        UserSessionUpdate u{s.subject_id, s.session_id, s.created, now, s.expires, s.ticket};
        auto r = co_await store.update_user_session(s.key, u);
        must(r.has_value(), "update");
      });
    } else if (op == "create") {
      const auto first = next_key.fetch_add(batch);
      drive(batch, [&](std::size_t i) -> boost::asio::awaitable<void> {
        auto r = co_await store.create_user_session(session_at(first + i, now));
        must(r.has_value(), "create");
      });
      state.PauseTiming();
      if (!path.empty())
        remove_range(path, first, batch);
      else
        for (std::size_t i = 0; i < batch; ++i) {
          boost::asio::io_context io;
          boost::asio::co_spawn(io, store.delete_user_session("key-" + std::to_string(first + i)),
                                boost::asio::detached);
          io.run();
        }
      state.ResumeTiming();
    } else if (op == "delete" || op == "delete_by_filter") {
      state.PauseTiming();
      std::uint64_t first;
      if (!path.empty()) {
        first = seed(path, batch, hour_ms);
      } else {
        first = next_key.fetch_add(batch);
        drive(batch, [&](std::size_t i) -> boost::asio::awaitable<void> {
          co_await store.create_user_session(session_at(first + i, now));
        });
      }
      state.ResumeTiming();
      drive(batch, [&](std::size_t i) -> boost::asio::awaitable<void> {
        if (op == "delete") {
          auto r = co_await store.delete_user_session("key-" + std::to_string(first + i));
          must(r.has_value(), "delete");
        } else {
          UserSessionsFilter f{.session_id = "sid-" + std::to_string(first + i)};
          auto r = co_await store.delete_user_sessions(f);
          must(r && *r == 1, "delete_by_filter");
        }
      });
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

// Removes `cleanup_rows` expired sessions per iteration. With `probe_gets`, coroutines run gets
// beside the cleanup and the p99 of their latencies is reported.
template <class Store>
void store_cleanup(benchmark::State& state, Store& store, std::size_t n, const std::string& path,
                   bool probe_gets) {
  const auto now = system_now();
  std::vector<double> latencies_ms;
  for (auto _ : state) {
    state.PauseTiming();
    if (!path.empty()) {
      seed_expired(path);
    } else {
      const auto first = next_key.fetch_add(cleanup_rows);
      drive(cleanup_rows, [&](std::size_t i) -> boost::asio::awaitable<void> {
        auto s = session_at(first + i, now);
        s.expires = now - std::chrono::hours(1);
        co_await store.create_user_session(s);
      });
    }
    state.ResumeTiming();
    boost::asio::io_context io;
    bool done = false;
    auto cleanup = [&]() -> boost::asio::awaitable<void> {
      DeleteExpiredOptions options{.batch_size = cleanup_batch};
      auto r = co_await store.delete_expired_sessions(options);
      must(r && *r >= cleanup_rows, "cleanup count");  // more: leftovers of an aborted run
      done = true;
    };
    boost::asio::co_spawn(io, cleanup, boost::asio::detached);
    if (probe_gets) {
      for (int lane = 0; lane < 8; ++lane) {
        auto getter = [&]() -> boost::asio::awaitable<void> {
          while (!done) {
            const auto t0 = std::chrono::steady_clock::now();
            auto r = co_await store.get_user_session("key-" + std::to_string(random_index(n)));
            if (!r) std::fprintf(stderr, "get during cleanup: %s\n", r.error().message().c_str());
            must(r && *r, "get during cleanup");
            latencies_ms.push_back(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count());
          }
        };
        boost::asio::co_spawn(io, getter, boost::asio::detached);
      }
    }
    io.run();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * cleanup_rows));
  if (!latencies_ms.empty()) {
    std::sort(latencies_ms.begin(), latencies_ms.end());
    state.counters["p99_ms"] = latencies_ms[latencies_ms.size() * 99 / 100];
    state.counters["gets"] = static_cast<double>(latencies_ms.size());
  }
}

// Ends every session of one user among n stored (an operator's or the IdP's "log out
// everywhere"): the latency of one delete-by-subject, reported per iteration.
void revoke_user(benchmark::State& state, SqliteUserSessionStore& store, const std::string& path) {
  for (auto _ : state) {
    state.PauseTiming();
    auto first = seed(path, 3, hour_ms);
    first += first % 2;  // sessions 2k and 2k+1 belong to user-k
    state.ResumeTiming();
    drive(1, [&](std::size_t) -> boost::asio::awaitable<void> {
      UserSessionsFilter user{.subject_id = "user-" + std::to_string(first / 2)};
      auto r = co_await store.delete_user_sessions(user);
      must(r && *r == 2, "revoke user");
    });
    state.PauseTiming();
    remove_range(path, first - 1, 4);  // the third seeded session, whichever side it fell on
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// ---- the raw sqlite3 baseline: same SQL, same schema, plain prepared statements ----

void baseline(benchmark::State& state, const std::string& op, std::size_t n,
              const std::string& path) {
  Raw raw(path);
  const auto now = system_now().time_since_epoch().count();
  auto* get = raw.prepare(
      "SELECT key, subject_id, session_id, created, renewed, expires, ticket FROM user_sessions "
      "WHERE partition_key = ?1 AND key = ?2");
  auto* by_subject = raw.prepare(
      "SELECT key, subject_id, session_id, created, renewed, expires, ticket FROM user_sessions "
      "WHERE partition_key = ?1 AND subject_id = ?2");
  auto* insert = raw.prepare(
      "INSERT INTO user_sessions (partition_key, key, subject_id, session_id, created, renewed, "
      "expires, ticket) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  auto* update = raw.prepare(
      "UPDATE user_sessions SET subject_id = ?3, session_id = ?4, created = ?5, renewed = ?6, "
      "expires = ?7, ticket = ?8 WHERE partition_key = ?1 AND key = ?2");
  auto* remove = raw.prepare("DELETE FROM user_sessions WHERE partition_key = ?1 AND key = ?2");
  auto* remove_sid =
      raw.prepare("DELETE FROM user_sessions WHERE partition_key = ?1 AND session_id = ?3");
  auto* expired = raw.prepare(
      "DELETE FROM user_sessions WHERE id IN (SELECT id FROM user_sessions "
      "WHERE partition_key = ?1 AND expires < ?2 LIMIT ?3)");
  auto step = [&](sqlite3_stmt* s, int expect) {
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      // Read the columns as the store does, so both pay for copying the row out.
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        auto* p = static_cast<const char*>(sqlite3_column_blob(s, c));
        std::string copy(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(s, c)));
        benchmark::DoNotOptimize(copy);
      }
      if (expect == SQLITE_ROW) break;
    }
    must(expect == SQLITE_ROW ? rc == SQLITE_ROW : rc == SQLITE_DONE, sqlite3_errmsg(raw.db));
    sqlite3_reset(s);
  };
  auto bind_session = [&](sqlite3_stmt* s, const UserSession& us) {
    sqlite3_bind_text(s, 1, partition, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, us.key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, us.subject_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, us.session_id->c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, now);
    sqlite3_bind_int64(s, 7, now + far_future_ms);
    sqlite3_bind_blob(s, 8, us.ticket.data(), static_cast<int>(us.ticket.size()), SQLITE_TRANSIENT);
  };
  sqlite3_bind_text(get, 1, partition, -1, SQLITE_STATIC);
  const Timestamp ts{std::chrono::milliseconds(now)};
  std::size_t items_per_iteration = batch;
  for (auto _ : state) {
    if (op == "get") {
      for (std::size_t i = 0; i < batch; ++i) {
        sqlite3_bind_text(get, 1, partition, -1, SQLITE_STATIC);
        const auto key = "key-" + std::to_string(random_index(n));
        sqlite3_bind_text(get, 2, key.c_str(), -1, SQLITE_TRANSIENT);
        step(get, SQLITE_ROW);
      }
    } else if (op == "get_by_filter") {
      for (std::size_t i = 0; i < batch; ++i) {
        sqlite3_bind_text(by_subject, 1, partition, -1, SQLITE_STATIC);
        const auto sub = "user-" + std::to_string(random_index(n / 2));
        sqlite3_bind_text(by_subject, 2, sub.c_str(), -1, SQLITE_TRANSIENT);
        step(by_subject, SQLITE_DONE);
      }
    } else if (op == "update") {
      for (std::size_t i = 0; i < batch; ++i) {
        bind_session(update, session_at(random_index(n), ts));
        step(update, SQLITE_DONE);
      }
    } else if (op == "create") {
      const auto first = next_key.fetch_add(batch);
      for (std::size_t i = 0; i < batch; ++i) {
        bind_session(insert, session_at(first + i, ts));
        step(insert, SQLITE_DONE);
      }
      state.PauseTiming();
      remove_range(path, first, batch);
      state.ResumeTiming();
    } else if (op == "delete" || op == "delete_by_filter") {
      state.PauseTiming();
      const auto first = seed(path, batch, hour_ms);
      state.ResumeTiming();
      for (std::size_t i = 0; i < batch; ++i) {
        auto* s = op == "delete" ? remove : remove_sid;
        sqlite3_bind_text(s, 1, partition, -1, SQLITE_STATIC);
        const auto id = (op == "delete" ? "key-" : "sid-") + std::to_string(first + i);
        sqlite3_bind_text(s, op == "delete" ? 2 : 3, id.c_str(), -1, SQLITE_TRANSIENT);
        step(s, SQLITE_DONE);
      }
    } else if (op == "cleanup") {
      items_per_iteration = cleanup_rows;
      state.PauseTiming();
      seed_expired(path);
      state.ResumeTiming();
      const auto cutoff = system_now().time_since_epoch().count();
      for (;;) {
        sqlite3_bind_text(expired, 1, partition, -1, SQLITE_STATIC);
        sqlite3_bind_int64(expired, 2, cutoff);
        sqlite3_bind_int64(expired, 3, static_cast<std::int64_t>(cleanup_batch));
        step(expired, SQLITE_DONE);
        if (static_cast<std::size_t>(sqlite3_changes(raw.db)) < cleanup_batch) break;
      }
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items_per_iteration));
  for (auto* s : {get, by_subject, insert, update, remove, remove_sid, expired})
    sqlite3_finalize(s);
}

std::vector<std::size_t> sizes() {
  const char* env = std::getenv("GATEHOUSE_BENCH_SIZES");
  std::stringstream in(env ? env : "10000,1000000");
  std::vector<std::size_t> out;
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoul(item));
  return out;
}

// Stores live for the whole run (opening a 1M database once, not per benchmark).
std::map<std::size_t, std::unique_ptr<SqliteFixture>> sqlite_stores;
std::map<std::size_t, std::unique_ptr<InMemoryUserSessionStore>> memory_stores;

InMemoryUserSessionStore& memory_store(std::size_t n) {
  auto& slot = memory_stores[n];
  if (!slot) {
    slot = std::make_unique<InMemoryUserSessionStore>(
        InMemoryUserSessionStoreOptions{.partition = partition});
    const auto now = system_now();
    drive(n, [&](std::size_t i) -> boost::asio::awaitable<void> {
      co_await slot->create_user_session(session_at(i, now));
    });
  }
  return *slot;
}

void register_all() {
  const std::vector<std::string> ops = {"get",    "get_by_filter", "update",
                                        "create", "delete",        "delete_by_filter"};
  for (auto n : sizes()) {
    const auto suffix = "/" + std::to_string(n);
    for (const auto& op : ops) {
      benchmark::RegisterBenchmark(
          ("baseline/" + op + suffix).c_str(),
          [op, n](benchmark::State& st) { baseline(st, op, n, populated_database(n)); })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("sqlite/" + op + suffix).c_str(),
                                   [op, n](benchmark::State& st) {
                                     auto& f = sqlite_stores[n];
                                     if (!f) f = std::make_unique<SqliteFixture>(n);
                                     store_ops(st, *f->store, op, n, f->path);
                                   })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(
          ("memory/" + op + suffix).c_str(),
          [op, n](benchmark::State& st) { store_ops(st, memory_store(n), op, n, ""); })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark(
        ("baseline/cleanup" + suffix).c_str(),
        [n](benchmark::State& st) { baseline(st, "cleanup", n, populated_database(n)); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("sqlite/revoke_user" + suffix).c_str(),
                                 [n](benchmark::State& st) {
                                   auto& f = sqlite_stores[n];
                                   if (!f) f = std::make_unique<SqliteFixture>(n);
                                   revoke_user(st, *f->store, f->path);
                                 })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    for (bool probe : {false, true}) {
      benchmark::RegisterBenchmark(
          ((probe ? "sqlite/cleanup_beside_gets" : "sqlite/cleanup") + suffix).c_str(),
          [n, probe](benchmark::State& st) {
            auto& f = sqlite_stores[n];
            if (!f) f = std::make_unique<SqliteFixture>(n);
            store_cleanup(st, *f->store, n, f->path, probe);
          })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark(
        ("memory/cleanup" + suffix).c_str(),
        [n](benchmark::State& st) { store_cleanup(st, memory_store(n), n, "", false); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace gatehouse::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (const char* b = std::getenv("GATEHOUSE_BENCH_CLEANUP_BATCH"))
    gatehouse::bench::cleanup_batch = std::stoul(b);
  if (const char* rows = std::getenv("GATEHOUSE_BENCH_CLEANUP_ROWS"))
    gatehouse::bench::cleanup_rows = std::stoul(rows);
  gatehouse::bench::register_all();
  gatehouse::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  gatehouse::bench::sqlite_stores.clear();
  return 0;
}
