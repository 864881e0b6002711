#include "shared_store_bench.hpp"

#include "bench_population.hpp"
#include "bench_report.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <random>
#include <sstream>

namespace gatehouse::bench::shared {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Runs op(i) for i < count with `concurrency` coroutines in flight on callers_io() until all are
// done. The last stops the context: a store attached to it keeps it busy.
void drive(std::size_t count, const std::function<boost::asio::awaitable<void>(std::size_t)>& op) {
  auto& io = callers_io();
  std::size_t issued = 0;
  std::size_t lanes = std::min(count, concurrency);
  for (std::size_t lane = 0, n = lanes; lane < n; ++lane) {
    auto worker = [&]() -> boost::asio::awaitable<void> {
      while (issued < count) co_await op(issued++);
      if (--lanes == 0) io.stop();
    };
    boost::asio::co_spawn(io, worker, boost::asio::detached);
  }
  io.restart();
  io.run();
}

std::size_t rows_per_iteration(Op op) {
  return op == Op::cleanup ? cleanup_rows : batch;
}

// The sessions a timed batch deletes (or cleanup removes) are written before it, untimed.
std::uint64_t seed_for(benchmark::State& state, Op op, Seeder& seeder) {
  if (op != Op::remove && op != Op::delete_by_filter && op != Op::cleanup) return 0;
  state.PauseTiming();
  const auto first = fresh_indexes(rows_per_iteration(op));
  seeder.seed(first, rows_per_iteration(op), op == Op::cleanup ? expired_offset : alive_offset);
  state.ResumeTiming();
  return first;
}

// The session, user or session id operation i of a batch works on.
std::uint64_t index_for(Op op, std::size_t i, std::uint64_t first, std::size_t n) {
  switch (op) {
    case Op::get:
    case Op::update:
      return random_index(n);
    case Op::get_by_filter:
      return random_index(n / 2);  // two sessions per user
    default:
      return first + i;
  }
}

void report(benchmark::State& state, Op op, std::vector<double>& latencies_ms) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows_per_iteration(op)));
  if (latencies_ms.empty()) return;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  state.counters["p50_ms"] = latencies_ms[latencies_ms.size() / 2];
  state.counters["p99_ms"] = latencies_ms[latencies_ms.size() * 99 / 100];
}

std::string grouped(double value) {
  auto digits = std::to_string(static_cast<long long>(value + 0.5));
  for (auto at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3)
    digits.insert(static_cast<std::size_t>(at), ",");
  return digits;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string size_label(const std::string& n) {
  if (n.size() > 6 && n.ends_with("000000")) return n.substr(0, n.size() - 6) + "M";
  if (n.size() > 3 && n.ends_with("000")) return n.substr(0, n.size() - 3) + "k";
  return n;
}

}  // namespace

boost::asio::io_context& callers_io() {
  static boost::asio::io_context io(1);
  return io;
}

std::vector<std::size_t> sizes() {
  const char* env = std::getenv("GATEHOUSE_BENCH_SIZES");
  std::stringstream in(env ? env : "10000,1000000");
  std::vector<std::size_t> out;
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoul(item));
  return out;
}

std::uint64_t fresh_indexes(std::size_t count) {
  static std::atomic<std::uint64_t> next{1000000000000ULL};
  return next.fetch_add(count);
}

std::uint64_t random_index(std::size_t n) {
  static thread_local std::mt19937_64 rng{42};
  return rng() % n;
}

void must(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark failure: %s\n", what);
    std::abort();
  }
}

void store_ops(benchmark::State& state, UserSessionStore& store, UserSessionStoreCleanup& cleanup,
               Op op, std::size_t n, Seeder& seeder) {
  std::vector<double> latencies;
  for (auto _ : state) {
    const auto first = op == Op::create ? fresh_indexes(batch) : seed_for(state, op, seeder);
    const auto now = system_now();
    if (op == Op::cleanup) {
      drive(1, [&](std::size_t) -> boost::asio::awaitable<void> {
        const auto t0 = Clock::now();
        DeleteExpiredOptions options{.batch_size = cleanup_batch};  // named: see its header
        auto r = co_await cleanup.delete_expired_sessions(std::move(options));
        must(r && *r >= cleanup_rows, "cleanup count");  // more: leftovers of an aborted run
        latencies.push_back(ms_since(t0));
      });
      continue;
    }
    drive(batch, [&](std::size_t i) -> boost::asio::awaitable<void> {
      const auto index = index_for(op, i, first, n);
      const auto t0 = Clock::now();
      if (op == Op::get) {
        auto r = co_await store.get_user_session("key-" + std::to_string(index));
        must(r && *r, "get");
      } else if (op == Op::create) {
        auto r = co_await store.create_user_session(session_at(index, now));
        must(r.has_value(), "create");
      } else if (op == Op::update) {
        auto s = session_at(index, now);
        UserSessionUpdate u{s.subject_id, s.session_id, s.created, now, s.expires, s.ticket};
        auto r = co_await store.update_user_session(s.key, u);
        must(r.has_value(), "update");
      } else if (op == Op::remove) {
        auto r = co_await store.delete_user_session("key-" + std::to_string(index));
        must(r.has_value(), "delete");
      } else if (op == Op::get_by_filter) {
        UserSessionsFilter f{.subject_id = "user-" + std::to_string(index)};
        auto r = co_await store.get_user_sessions(f);
        must(r && r->size() == 2, "get_by_filter");
      } else {
        UserSessionsFilter f{.session_id = "sid-" + std::to_string(index)};
        auto r = co_await store.delete_user_sessions(f);
        must(r && *r == 1, "delete_by_filter");
      }
      latencies.push_back(ms_since(t0));
    });
    if (op == Op::create) {
      state.PauseTiming();
      seeder.remove(first, batch);
      state.ResumeTiming();
    }
  }
  report(state, op, latencies);
}

void raw_ops(benchmark::State& state, RawClient& raw, Op op, std::size_t n, Seeder& seeder) {
  std::vector<double> latencies;
  const std::int64_t expected = op == Op::get_by_filter ? 2 : 1;
  for (auto _ : state) {
    const auto first = op == Op::create ? fresh_indexes(batch) : seed_for(state, op, seeder);
    const auto now = system_now();
    if (op == Op::cleanup) {
      const auto t0 = Clock::now();
      std::int64_t removed = 0;
      for (;;) {
        raw.send(Op::cleanup, 0, system_now());
        const auto k = raw.receive(Op::cleanup);
        removed += k;
        if (k < static_cast<std::int64_t>(cleanup_batch)) break;
      }
      must(removed >= static_cast<std::int64_t>(cleanup_rows), "raw cleanup count");
      latencies.push_back(ms_since(t0));
      continue;
    }
    std::deque<Clock::time_point> sent;
    auto take = [&] {
      must(raw.receive(op) == expected, "raw operation");
      latencies.push_back(ms_since(sent.front()));
      sent.pop_front();
    };
    for (std::size_t i = 0; i < batch; ++i) {
      if (sent.size() == concurrency) take();
      const auto index = index_for(op, i, first, n);
      sent.push_back(Clock::now());
      raw.send(op, index, now);
    }
    while (!sent.empty()) take();
    if (op == Op::create) {
      state.PauseTiming();
      seeder.remove(first, batch);
      state.ResumeTiming();
    }
  }
  report(state, op, latencies);
}

SharedStoreReporter::SharedStoreReporter(std::string store, std::string baseline)
    : ConsoleReporter(console_options()),
      store_(std::move(store)),
      baseline_(std::move(baseline)) {}

void SharedStoreReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const auto& run : runs) {
    if (run.run_type != Run::RT_Iteration) continue;
    const auto name = run.benchmark_name();
    auto& f = figures_[name.substr(0, name.find("/real_time"))];
    if (auto it = run.counters.find("items_per_second"); it != run.counters.end())
      f.rate.push_back(it->second.value);
    if (auto it = run.counters.find("p99_ms"); it != run.counters.end())
      f.p99_ms.push_back(it->second.value);
  }
}

void SharedStoreReporter::Finalize() {
  std::printf("\n| operation | size | %s /s | %s /s | ratio | %s p99 | %s p99 | target |\n",
              store_.c_str(), baseline_.c_str(), store_.c_str(), baseline_.c_str());
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
  for (auto n : sizes()) {
    const auto size = std::to_string(n);
    for (const auto& [op, name] : operations) {
      auto ours = figures_.find(store_ + "/" + name + "/" + size);
      auto base = figures_.find(baseline_ + "/" + name + "/" + size);
      if (ours == figures_.end() || base == figures_.end()) continue;
      const double rate = median(ours->second.rate), base_rate = median(base->second.rate);
      if (base_rate == 0) continue;
      const double ratio = rate / base_rate;
      const bool targeted = op == Op::get || op == Op::create;
      std::printf("| %s | %s | %s | %s | %.2f | %.2f ms | %.2f ms | %s |\n", name,
                  size_label(size).c_str(), grouped(rate).c_str(), grouped(base_rate).c_str(),
                  ratio, median(ours->second.p99_ms), median(base->second.p99_ms),
                  targeted ? (ratio >= 0.7 ? "≥ 0.7 ✔" : "≥ 0.7 ✘ MISSED") : "–");
    }
  }
  std::printf(
      "\n(cleanup: sessions removed per second; its p99 is of whole calls removing %zu "
      "in batches of %zu)\n",
      cleanup_rows, cleanup_batch);
  ConsoleReporter::Finalize();
}

}  // namespace gatehouse::bench::shared
