// PostgreSQL store benchmarks: gatehouse's PostgreSQL store beside raw libpq sending the same
// prepared statements (make_statements' SQL, binary parameters and results, one implicit
// transaction per statement) from one connection in pipeline mode, `concurrency` in flight.
//
// The server is the tests' own (tests/support/postgres_server.*: a temp dir, a free loopback port,
// fsync off, stopped when the benchmark ends however it ends), with shared_buffers raised to
// 256 MB. Each size gets a database of its own, filled by one binary COPY. Sizes come from
// GATEHOUSE_BENCH_SIZES (default "10000,1000000").
#include <gatehouse/stores/postgres_user_session_store.hpp>

#include "stores/postgres/postgres_schema.hpp"
#include "support/postgres_server.hpp"

#include "bench_population.hpp"
#include "shared_store_bench.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

namespace gatehouse::bench {
namespace {

using namespace shared;

std::unique_ptr<testing::PostgresServer> server;

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

Connection connect(const std::string& url) {
  Connection c(PQconnectdb(url.c_str()), &PQfinish);
  must(PQstatus(c.get()) == CONNECTION_OK, PQerrorMessage(c.get()));
  PQsetNoticeProcessor(
      c.get(), [](void*, const char*) {}, nullptr);
  return c;
}

void exec(PGconn* c, const std::string& sql) {
  Result r(PQexec(c, sql.c_str()), &PQclear);
  const auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    std::fprintf(stderr, "%s: %s", sql.c_str(), PQresultErrorMessage(r.get()));
  must(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK, "statement");
}

std::string big_endian(std::uint64_t v, int bytes) {
  std::string out(static_cast<std::size_t>(bytes), '\0');
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[static_cast<std::size_t>(i)] = char(v & 0xff);
  return out;
}

std::int64_t int64_at(const PGresult* r, int row, int column) {
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, column));
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return static_cast<std::int64_t>(v);
}

// A binary COPY into user_sessions: what fills a database of a million sessions in a minute.
class Copy {
 public:
  explicit Copy(PGconn* c) : c_(c) {
    Result r(PQexec(c,
                    "COPY gatehouse.user_sessions (partition_key, key, subject_id, session_id, "
                    "created, renewed, expires, ticket) FROM STDIN (FORMAT binary)"),
             &PQclear);
    must(PQresultStatus(r.get()) == PGRES_COPY_IN, PQresultErrorMessage(r.get()));
    buffer_.assign("PGCOPY\n\377\r\n\0", 11);
    buffer_ += big_endian(0, 4) + big_endian(0, 4);  // flags, header extension
  }
  void row(const UserSession& s, std::chrono::milliseconds expires_offset) {
    const auto ms = s.created.time_since_epoch().count();
    buffer_ += big_endian(8, 2);
    for (const std::string* text : {&partition_, &s.key, &s.subject_id, &*s.session_id})
      field(*text);
    field(big_endian(static_cast<std::uint64_t>(ms), 8));
    field(big_endian(static_cast<std::uint64_t>(ms), 8));
    field(big_endian(static_cast<std::uint64_t>(ms + expires_offset.count()), 8));
    field(s.ticket);
    if (buffer_.size() > (1 << 20)) flush();
  }
  void finish() {
    buffer_ += big_endian(0xffff, 2);
    flush();
    must(PQputCopyEnd(c_, nullptr) == 1, PQerrorMessage(c_));
    Result r(PQgetResult(c_), &PQclear);
    must(PQresultStatus(r.get()) == PGRES_COMMAND_OK, PQresultErrorMessage(r.get()));
    while (PGresult* rest = PQgetResult(c_)) PQclear(rest);
  }

 private:
  void field(const std::string& value) {
    buffer_ += big_endian(value.size(), 4);
    buffer_ += value;
  }
  void flush() {
    must(PQputCopyData(c_, buffer_.data(), static_cast<int>(buffer_.size())) == 1,
         PQerrorMessage(c_));
    buffer_.clear();
  }
  PGconn* c_;
  const std::string partition_ = partition;
  std::string buffer_;
};

void copy_sessions(PGconn* c, std::uint64_t first, std::size_t count,
                   std::chrono::milliseconds expires_offset) {
  const auto now = system_now();
  Copy copy(c);
  for (auto i = first; i < first + count; ++i) copy.row(session_at(i, now), expires_offset);
  copy.finish();
}

class PostgresSeeder final : public Seeder {
 public:
  explicit PostgresSeeder(const std::string& url) : c_(connect(url)) {}
  void seed(std::uint64_t first, std::size_t count, std::chrono::milliseconds offset) override {
    copy_sessions(c_.get(), first, count, offset);
  }
  void remove(std::uint64_t first, std::size_t count) override {
    std::string keys = "{";
    for (auto i = first; i < first + count; ++i)
      keys += (i == first ? "key-" : ",key-") + std::to_string(i);
    keys += "}";
    const char* values[] = {partition, keys.c_str()};
    Result r(PQexecParams(c_.get(),
                          "DELETE FROM gatehouse.user_sessions WHERE partition_key = $1 AND "
                          "key = ANY ($2::text[])",
                          2, nullptr, values, nullptr, nullptr, 0),
             &PQclear);
    must(PQresultStatus(r.get()) == PGRES_COMMAND_OK, PQresultErrorMessage(r.get()));
  }

 private:
  Connection c_;
};

// make_statements' statements, prepared once, then sent in pipeline mode with a Sync each (so
// each runs in its own implicit transaction, as the store's do); parameters and results binary.
class RawPostgres final : public RawClient {
 public:
  explicit RawPostgres(const std::string& url) : c_(connect(url)) {
    statements_ = postgres::make_statements(postgres::quote_identifier(c_.get(), "gatehouse"));
    for (const auto& s : statements_) {
      Result r(PQprepare(c_.get(), s.name.c_str(), s.sql.c_str(), static_cast<int>(s.types.size()),
                         s.types.data()),
               &PQclear);
      must(PQresultStatus(r.get()) == PGRES_COMMAND_OK, PQresultErrorMessage(r.get()));
    }
    must(PQenterPipelineMode(c_.get()) == 1, "pipeline mode");
  }

  void send(Op op, std::uint64_t index, Timestamp now) override {
    values_.clear();
    const auto ms = static_cast<std::uint64_t>(now.time_since_epoch().count());
    values_.emplace_back(partition);
    auto session = [&] {
      auto s = session_at(index, now);
      values_.insert(values_.end(),
                     {s.key, s.subject_id, *s.session_id, big_endian(ms, 8), big_endian(ms, 8),
                      big_endian(ms + alive_offset.count(), 8), s.ticket});
    };
    auto statement = postgres::Statement::get;
    bool null_last = false;
    switch (op) {
      case Op::get:
        statement = postgres::Statement::get;
        values_.push_back("key-" + std::to_string(index));
        break;
      case Op::create:
        statement = postgres::Statement::insert;
        session();
        break;
      case Op::update:
        statement = postgres::Statement::update;
        session();
        values_.emplace_back();  // $9: no expected version
        null_last = true;
        break;
      case Op::remove:
        statement = postgres::Statement::remove;
        values_.push_back("key-" + std::to_string(index));
        break;
      case Op::get_by_filter:
        statement = postgres::Statement::by_subject;
        values_.push_back("user-" + std::to_string(index));
        break;
      case Op::delete_by_filter:
        statement = postgres::Statement::remove_by_sid;
        values_.push_back("sid-" + std::to_string(index));
        break;
      case Op::cleanup:
        statement = postgres::Statement::remove_expired;
        values_.push_back(big_endian(ms, 8));
        values_.push_back(big_endian(cleanup_batch, 8));
        break;
    }
    pointers_.clear();
    lengths_.clear();
    for (const auto& v : values_) {
      pointers_.push_back(v.data());
      lengths_.push_back(static_cast<int>(v.size()));
    }
    if (null_last) pointers_.back() = nullptr;
    formats_.assign(values_.size(), 1);
    const auto& s = statements_[static_cast<std::size_t>(statement)];
    must(PQsendQueryPrepared(c_.get(), s.name.c_str(), static_cast<int>(values_.size()),
                             pointers_.data(), lengths_.data(), formats_.data(), 1) == 1 &&
             PQpipelineSync(c_.get()) == 1,
         PQerrorMessage(c_.get()));
  }

  std::int64_t receive(Op op) override {
    std::int64_t counted = -1;
    for (;;) {
      PGresult* raw = PQgetResult(c_.get());
      if (!raw) continue;  // the end of one command's results
      Result r(raw, &PQclear);
      const auto status = PQresultStatus(raw);
      if (status == PGRES_PIPELINE_SYNC) return counted;
      if (status == PGRES_TUPLES_OK && op == Op::update) {
        counted = int64_at(raw, 0, 0);
      } else if (status == PGRES_TUPLES_OK) {
        // Copy the row out, as the store does when it decodes the session.
        for (int row = 0; row < PQntuples(raw); ++row)
          for (int column = 0; column < PQnfields(raw); ++column) {
            std::string copy(PQgetvalue(raw, row, column),
                             static_cast<std::size_t>(PQgetlength(raw, row, column)));
            benchmark::DoNotOptimize(copy);
          }
        counted = PQntuples(raw);
      } else if (status == PGRES_COMMAND_OK) {
        counted = std::atoll(PQcmdTuples(raw));
      } else {
        std::fprintf(stderr, "raw libpq: %s", PQresultErrorMessage(raw));
        must(false, "raw statement");
      }
    }
  }

 private:
  Connection c_;
  std::vector<postgres::StatementText> statements_;
  std::vector<std::string> values_;
  std::vector<const char*> pointers_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// One database per size: the store (a pool of 8, the default, or GATEHOUSE_BENCH_PG_POOL), the
// raw client and the seeder.
struct Fixture {
  std::unique_ptr<PostgresUserSessionStore> store;
  std::unique_ptr<RawPostgres> raw;
  std::unique_ptr<PostgresSeeder> seeder;

  explicit Fixture(std::size_t n) {
    const auto url = server->create_database();
    const char* pool = std::getenv("GATEHOUSE_BENCH_PG_POOL");  // the store's pool size
    store = std::make_unique<PostgresUserSessionStore>(
        open_postgres_session_database(
            {.url = url, .pool = pool ? std::stoul(pool) : PostgresStoreOptions{}.pool}),
        partition);
    seeder = std::make_unique<PostgresSeeder>(url);
    const auto t0 = std::chrono::steady_clock::now();
    auto c = connect(url);
    for (std::uint64_t first = 0; first < n; first += 100000)
      copy_sessions(c.get(), first, std::min<std::size_t>(100000, n - first), alive_offset);
    exec(c.get(), "VACUUM (ANALYZE) gatehouse.user_sessions");
    exec(c.get(), "CHECKPOINT");
    std::fprintf(stderr, "postgres: %zu sessions copied in %.1f s\n", n,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    raw = std::make_unique<RawPostgres>(url);
  }
};

std::map<std::size_t, std::unique_ptr<Fixture>> fixtures;

Fixture& fixture(std::size_t n) {
  auto& f = fixtures[n];
  if (!f) f = std::make_unique<Fixture>(n);
  return *f;
}

void register_all() {
  for (auto n : sizes()) {
    const auto suffix = "/" + std::to_string(n);
    for (const auto& [op, name] : operations) {
      benchmark::RegisterBenchmark(("postgres/" + std::string(name) + suffix).c_str(),
                                   [op, n](benchmark::State& st) {
                                     auto& f = fixture(n);
                                     store_ops(st, *f.store, *f.store, op, n, *f.seeder);
                                   })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("libpq/" + std::string(name) + suffix).c_str(),
                                   [op, n](benchmark::State& st) {
                                     auto& f = fixture(n);
                                     raw_ops(st, *f.raw, op, n, *f.seeder);
                                   })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace
}  // namespace gatehouse::bench

int main(int argc, char** argv) {
  using namespace gatehouse::bench;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  server = std::make_unique<gatehouse::testing::PostgresServer>();
  server->query("ALTER SYSTEM SET shared_buffers = '256MB'");
  server->stop();
  server->start();
  register_all();
  shared::SharedStoreReporter reporter("postgres", "libpq");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  fixtures.clear();
  server.reset();
  return 0;
}
