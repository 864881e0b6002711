// The harness of the shared-store benchmarks (PostgreSQL, Redis): a store's operations beside a
// raw client that sends the same statements or commands over one pipelined connection, both
// timed per batch and per operation (items/s and the p99 latency of one operation).
#pragma once

#include <gatehouse/session/user_session_store.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gatehouse::bench::shared {

inline constexpr std::size_t batch = 1000;          // operations per iteration
inline constexpr std::size_t concurrency = 32;      // store: coroutines; raw: pipeline depth
inline constexpr std::size_t cleanup_rows = 20000;  // expired sessions per cleanup iteration
inline constexpr std::size_t cleanup_batch = 1000;
// Cleanup's sessions expired a minute ago: in Redis their records are still there (TTL grace).
inline constexpr std::chrono::milliseconds expired_offset = -std::chrono::minutes(1);
inline constexpr std::chrono::milliseconds alive_offset = std::chrono::hours(24 * 365);

enum class Op { get, create, update, remove, get_by_filter, delete_by_filter, cleanup };
struct OpName {
  Op op;
  const char* name;
};
inline constexpr OpName operations[] = {
    {Op::get, "get"},
    {Op::create, "create"},
    {Op::update, "update"},
    {Op::remove, "delete"},
    {Op::get_by_filter, "get_by_filter"},
    {Op::delete_by_filter, "delete_by_filter"},
    {Op::cleanup, "cleanup"},
};

// GATEHOUSE_BENCH_SIZES, default "10000,1000000".
std::vector<std::size_t> sizes();
// The first of `count` session indexes no benchmark has used (above every populated one).
std::uint64_t fresh_indexes(std::size_t count);
std::uint64_t random_index(std::size_t n);
void must(bool ok, const char* what);

// Raw bulk writes outside the timed region (bench_population's sessions).
class Seeder {
 public:
  virtual ~Seeder() = default;
  // Sessions [first, first + count) expiring `expires_offset` from now.
  virtual void seed(std::uint64_t first, std::size_t count,
                    std::chrono::milliseconds expires_offset) = 0;
  virtual void remove(std::uint64_t first, std::size_t count) = 0;
};

// One connection of the raw client library, driven as a pipeline: send() queues an operation,
// receive() waits for the oldest one's answer and returns what it counted (rows read or
// written, sessions removed; 1 for a create or update that took effect).
class RawClient {
 public:
  virtual ~RawClient() = default;
  // `index`: the session (get, create, update, delete), user (get_by_filter) or session id
  // (delete_by_filter); cleanup takes `now` and removes up to cleanup_batch.
  virtual void send(Op op, std::uint64_t index, Timestamp now) = 0;
  virtual std::int64_t receive(Op op) = 0;
};

// The one io_context every store_ops() caller runs on (its thread is the benchmark's). A store
// may attach to it, as the gateway's stores attach to its io threads; destroy such a store
// before main() returns.
boost::asio::io_context& callers_io();

// The store: `concurrency` coroutines on one io_context, `batch` operations per iteration.
void store_ops(benchmark::State& state, UserSessionStore& store, UserSessionStoreCleanup& cleanup,
               Op op, std::size_t n, Seeder& seeder);
// The baseline: the same operations through `raw`, `concurrency` in flight on its connection
// (cleanup: its batches one after another, as the store sends them).
void raw_ops(benchmark::State& state, RawClient& raw, Op op, std::size_t n, Seeder& seeder);

// Console output, then one markdown table: store beside baseline per operation and size (with
// --benchmark_repetitions, the median of each figure).
class SharedStoreReporter : public benchmark::ConsoleReporter {
 public:
  SharedStoreReporter(std::string store, std::string baseline);
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

 private:
  struct Figures {
    std::vector<double> rate, p99_ms;  // one per repetition: the table shows medians
  };
  std::string store_, baseline_;
  std::map<std::string, Figures> figures_;  // "<who>/<op>/<size>"
};

}  // namespace gatehouse::bench::shared
