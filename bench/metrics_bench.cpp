// What recording costs on the request path, beside the request it records: a counter add, a
// histogram observation, the gateway's per-request record (counter + histogram + route class)
// with and without its JSON access-log line (and that line written through spdlog's console
// sink beside the gateway's LineSink), a fresh request id, and one metered store get
// beside the bare in-memory get. Threads(2) shows what two io threads hitting the same series
// cost (per-thread shards: no shared cache line). Run: build/bench/metrics_bench
#include "bff/request_observer.hpp"
#include "http/request_id.hpp"
#include "logging/line_sink.hpp"
#include "logging/log_format.hpp"
#include "metrics/metrics.hpp"
#include "metrics/store_metrics.hpp"

#include <gatehouse/stores/memory_user_session_store.hpp>

#include <benchmark/benchmark.h>
#include <spdlog/details/console_globals.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <fcntl.h>

#include <cstdio>

namespace {

using namespace gatehouse;

metrics::Registry& registry() {
  static metrics::Registry r;
  return r;
}

void BM_CounterInc(benchmark::State& state) {
  static auto& counter = registry().counter("bench_total", "Bench.");
  for (auto _ : state) counter.inc();
}
BENCHMARK(BM_CounterInc)->Threads(1)->Threads(2);

void BM_HistogramObserve(benchmark::State& state) {
  static auto& histogram = registry().histogram("bench_seconds", "Bench.");
  double v = 0.0001;
  for (auto _ : state) {
    histogram.observe(v);
    v = v > 5 ? 0.0001 : v * 1.7;
  }
}
BENCHMARK(BM_HistogramObserve)->Threads(1)->Threads(2);

http::Request bench_request() {
  http::Request r;
  r.method = "GET";
  r.path = "/bff/user";
  r.request_id = http::new_request_id();
  return r;
}

bff::GatewayRequestObserver& observer() {
  static bff::GatewayRequestObserver o(
      [routes = bff::PublicRoutes{.api_paths = {"/api"}, .static_site = true}](
          const http::Request& r) { return routes.classify(r); },
      true, registry());
  return o;
}

// Metrics only: the access-log line is below the level.
void BM_RequestRecordMetricsOnly(benchmark::State& state) {
  if (state.thread_index() == 0) spdlog::set_level(spdlog::level::warn);
  const auto request = bench_request();
  for (auto _ : state)
    observer().completed(
        {.request = &request, .status = 200, .duration = std::chrono::microseconds(250)});
}
BENCHMARK(BM_RequestRecordMetricsOnly)->Threads(1)->Threads(2);

// Metrics and the JSON access-log line handed to spdlog's null sink (which drops it unformatted:
// this is the record and the logger's dispatch, not the line's formatting).
void BM_RequestRecordWithJsonLine(benchmark::State& state) {
  if (state.thread_index() == 0) {
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>()));
    logging::apply({.format = config::LogFormat::json, .level = config::LogLevel::info}, false);
  }
  const auto request = bench_request();
  for (auto _ : state)
    observer().completed(
        {.request = &request, .status = 200, .duration = std::chrono::microseconds(250)});
}
BENCHMARK(BM_RequestRecordWithJsonLine)->Threads(1);

// The request record with its JSON line written to /dev/null: through spdlog's console sink (what
// the gateway used before: a process-wide mutex and one fwrite+fflush, so one write(2), per
// line), then through logging::LineSink (per-thread buffers, one write(2) per 16 KiB).
// /dev/null makes the write itself as cheap as it gets: a pipe to journald costs more.
void record_with_line_into(benchmark::State& state, spdlog::sink_ptr sink) {
  static spdlog::sink_ptr installed;
  if (state.thread_index() == 0 && installed != sink) {
    installed = sink;
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("bench", sink));
    logging::apply({.format = config::LogFormat::json, .level = config::LogLevel::info}, false);
  }
  const auto request = bench_request();
  for (auto _ : state)
    observer().completed(
        {.request = &request, .status = 200, .duration = std::chrono::microseconds(250)});
}

void BM_AccessLineSpdlogConsoleSink(benchmark::State& state) {
  static const spdlog::sink_ptr sink =
      std::make_shared<spdlog::sinks::stdout_sink_base<spdlog::details::console_mutex>>(
          std::fopen("/dev/null", "w"));
  record_with_line_into(state, sink);
}
BENCHMARK(BM_AccessLineSpdlogConsoleSink)->Threads(1)->Threads(2)->UseRealTime();

void BM_AccessLineLineSink(benchmark::State& state) {
  static const spdlog::sink_ptr sink = std::make_shared<logging::LineSink>(
      logging::LineSink::Options{.fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC)});
  record_with_line_into(state, sink);
}
BENCHMARK(BM_AccessLineLineSink)->Threads(1)->Threads(2)->UseRealTime();

void BM_NewRequestId(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(http::new_request_id());
}
BENCHMARK(BM_NewRequestId);

// One get of a present key through the store, bare or metered (timing + histogram).
void store_get(benchmark::State& state, bool metered) {
  std::shared_ptr<UserSessionStore> store = std::make_shared<InMemoryUserSessionStore>();
  if (metered) store = metrics::instrument_store(store, {.store = "memory"}, registry());
  boost::asio::io_context io(1);
  UserSession s;
  s.key = "bench-key";
  s.subject_id = "alice";
  s.ticket = std::string(300, 't');
  auto create = [store, s]() -> boost::asio::awaitable<void> {
    co_await store->create_user_session(s);
  };
  boost::asio::co_spawn(io, create, boost::asio::detached);
  io.run();
  for (auto _ : state) {
    auto get = [store]() -> boost::asio::awaitable<void> {
      auto got = co_await store->get_user_session("bench-key");
      benchmark::DoNotOptimize(got);
    };
    io.restart();
    boost::asio::co_spawn(io, get, boost::asio::detached);
    io.run();
  }
}
void BM_MemoryStoreGet(benchmark::State& state) {
  store_get(state, false);
}
void BM_MemoryStoreGetMetered(benchmark::State& state) {
  store_get(state, true);
}
BENCHMARK(BM_MemoryStoreGet);
BENCHMARK(BM_MemoryStoreGetMetered);

}  // namespace

BENCHMARK_MAIN();
