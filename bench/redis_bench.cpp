// Redis store benchmarks: gatehouse's Redis store beside raw hiredis sending the same commands
// (HGETALL for a get, EVALSHA of redis_scripts.cpp's scripts with the store's keys and arguments
// for the rest) from one blocking connection, pipelined `concurrency` deep.
//
// The server is the tests' own (tests/stores/redis/redis_server.*: a temp dir, a free loopback
// port, appendonly yes + appendfsync always, killed when the benchmark ends however it ends),
// with automatic AOF rewrites off so none lands in a timed run, and no fsync while seeding. Each
// size gets a database number of its own, filled by pipelined EVALSHA of the store's create
// script. Sizes come from GATEHOUSE_BENCH_SIZES (default "10000,1000000").
#include <gatehouse/stores/redis_user_session_store.hpp>

#include "stores/redis/redis_layout.hpp"
#include "stores/redis/redis_scripts.hpp"
#include "stores/redis/redis_server.hpp"

#include "bench_population.hpp"
#include "shared_store_bench.hpp"

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

namespace gatehouse::bench {
namespace {

using namespace shared;

std::unique_ptr<testing::RedisServer> server;
// GATEHOUSE_BENCH_REDIS_APPENDFSYNC: the timed runs' appendfsync (default "always", the durable
// one).
const char* timed_appendfsync = "always";

using Reply = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

const std::string base = redis::partition_base("gatehouse", partition);

// One blocking hiredis connection on database `db`, used as a pipeline.
class Connection {
 public:
  explicit Connection(int db) : c_(redisConnect("127.0.0.1", server->port()), &redisFree) {
    must(c_ && !c_->err, "cannot connect to redis-server");
    send({"SELECT", std::to_string(db)});
    must(receive()->type == REDIS_REPLY_STATUS, "SELECT");
  }
  void send(const std::vector<std::string>& args) {
    argv_.clear();
    lengths_.clear();
    for (const auto& a : args) {
      argv_.push_back(a.data());
      lengths_.push_back(a.size());
    }
    must(redisAppendCommandArgv(c_.get(), static_cast<int>(args.size()), argv_.data(),
                                lengths_.data()) == REDIS_OK,
         "redisAppendCommandArgv");
  }
  Reply receive() {
    void* raw = nullptr;
    must(redisGetReply(c_.get(), &raw) == REDIS_OK && raw, "redisGetReply");
    Reply reply(static_cast<redisReply*>(raw), &freeReplyObject);
    if (reply->type == REDIS_REPLY_ERROR) std::fprintf(stderr, "redis: %s\n", reply->str);
    must(reply->type != REDIS_REPLY_ERROR, "redis error reply");
    return reply;
  }

 private:
  std::unique_ptr<redisContext, decltype(&redisFree)> c_;
  std::vector<const char*> argv_;
  std::vector<std::size_t> lengths_;
};

// The store's arguments for a script: numkeys, B k (it routes the call), B, then the script's.
std::vector<std::string> script_call(const redis::Script& script) {
  return {"EVALSHA", script.sha1, "1", base + "k", base};
}

std::vector<std::string> write_command(const redis::Script& script, const UserSession& s,
                                       Timestamp now) {
  auto args = script_call(script);
  args.push_back(s.key);
  redis::append_session_arguments(
      args, {s.subject_id, s.session_id, s.created, s.renewed, s.expires, s.ticket}, now);
  return args;
}

// Sends every command of `commands(i)`, i < count, at most `depth` awaiting their replies.
template <class Make, class Check>
void pipelined(Connection& c, std::size_t count, std::size_t depth, Make commands, Check check) {
  std::size_t answered = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (i - answered == depth) check(*c.receive()), ++answered;
    c.send(commands(i));
  }
  for (; answered < count; ++answered) check(*c.receive());
}

// Untimed writes skip the fsync of every event-loop round (appendfsync always otherwise makes
// them disk-bound: a 2 KiB ticket per command, a few commands per read); the timed ones keep it.
class RedisSeeder final : public Seeder {
 public:
  explicit RedisSeeder(int db) : c_(db) {}
  void seed(std::uint64_t first, std::size_t count, std::chrono::milliseconds offset) override {
    Unsynced unsynced(c_);
    const auto now = system_now();
    pipelined(
        c_, count, 1000,
        [&](std::size_t i) {
          auto s = session_at(first + i, now);
          s.expires = now + offset;
          return write_command(redis::scripts().create, s, now);
        },
        [](const redisReply& r) { must(r.type == REDIS_REPLY_INTEGER && r.integer == 0, "seed"); });
  }
  void remove(std::uint64_t first, std::size_t count) override {
    Unsynced unsynced(c_);
    pipelined(
        c_, count, 1000,
        [&](std::size_t i) {
          auto args = script_call(redis::scripts().remove);
          args.push_back("key-" + std::to_string(first + i));
          return args;
        },
        [](const redisReply& r) { must(r.type == REDIS_REPLY_INTEGER, "remove"); });
  }

 private:
  struct Unsynced {
    explicit Unsynced(Connection& c) : c_(c) { set("no"); }
    ~Unsynced() { set(timed_appendfsync); }
    void set(const char* mode) {
      c_.send({"CONFIG", "SET", "appendfsync", mode});
      must(c_.receive()->type == REDIS_REPLY_STATUS, "CONFIG SET appendfsync");
    }
    Connection& c_;
  };
  Connection c_;
};

std::int64_t copy_out(const redisReply& r) {
  std::int64_t bytes = 0;
  if (r.type == REDIS_REPLY_STRING) {
    std::string copy(r.str, r.len);
    benchmark::DoNotOptimize(copy);
    bytes += static_cast<std::int64_t>(r.len);
  }
  for (std::size_t i = 0; r.type == REDIS_REPLY_ARRAY && i < r.elements; ++i)
    bytes += copy_out(*r.element[i]);
  return bytes;
}

class RawRedis final : public RawClient {
 public:
  explicit RawRedis(int db) : c_(db) {
    for (const auto* s :
         {&redis::scripts().create, &redis::scripts().update, &redis::scripts().remove,
          &redis::scripts().query, &redis::scripts().remove_matching, &redis::scripts().cleanup}) {
      c_.send({"SCRIPT", "LOAD", s->body});
      must(std::string(c_.receive()->str) == s->sha1, "SCRIPT LOAD");
    }
  }

  void send(Op op, std::uint64_t index, Timestamp now) override {
    const auto& scripts = redis::scripts();
    const auto id = std::to_string(index);
    switch (op) {
      case Op::get:
        return c_.send({"HGETALL", redis::session_key(base, "key-" + id)});
      case Op::create:
        return c_.send(write_command(scripts.create, session_at(index, now), now));
      case Op::update: {
        auto args = write_command(scripts.update, session_at(index, now), now);
        args.emplace_back();  // no expected version
        return c_.send(args);
      }
      case Op::remove: {
        auto args = script_call(scripts.remove);
        args.push_back("key-" + id);
        return c_.send(args);
      }
      case Op::get_by_filter: {
        auto args = script_call(scripts.query);
        args.insert(args.end(), {"user-" + id, ""});
        return c_.send(args);
      }
      case Op::delete_by_filter: {
        auto args = script_call(scripts.remove_matching);
        args.insert(args.end(), {"", "sid-" + id});
        return c_.send(args);
      }
      case Op::cleanup: {
        auto args = script_call(scripts.cleanup);
        args.insert(args.end(), {std::to_string(now.time_since_epoch().count()),
                                 std::to_string(cleanup_batch)});
        return c_.send(args);
      }
    }
  }

  std::int64_t receive(Op op) override {
    const auto reply = c_.receive();
    switch (op) {
      case Op::get:
        copy_out(*reply);
        return reply->elements > 0 ? 1 : 0;
      case Op::get_by_filter:
        copy_out(*reply);
        return static_cast<std::int64_t>(reply->elements / 2);
      case Op::create:
        return reply->integer == 0 ? 1 : 0;  // 0: created
      case Op::update:
        return reply->integer >= 1 ? 1 : 0;  // the new version
      default:
        return reply->integer;
    }
  }

 private:
  Connection c_;
};

struct Fixture {
  std::unique_ptr<RedisUserSessionStore> store;
  std::unique_ptr<RawRedis> raw;
  std::unique_ptr<RedisSeeder> seeder;

  Fixture(std::size_t n, int db) {
    seeder = std::make_unique<RedisSeeder>(db);
    raw = std::make_unique<RawRedis>(db);  // loads the scripts
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t first = 0; first < n; first += 100000)
      seeder->seed(first, std::min<std::size_t>(100000, n - first), alive_offset);
    std::fprintf(stderr, "redis: %zu sessions written in %.1f s\n", n,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    // Attached to the callers' context, as the gateway attaches it to its io threads.
    store = std::make_unique<RedisUserSessionStore>(
        open_redis_session_engine({.url = server->url() + "/" + std::to_string(db),
                                   .executor = callers_io().get_executor()}),
        partition);
  }
};

std::map<std::size_t, std::unique_ptr<Fixture>> fixtures;

Fixture& fixture(std::size_t n) {
  auto& f = fixtures[n];
  if (!f) f = std::make_unique<Fixture>(n, static_cast<int>(fixtures.size() - 1));
  return *f;
}

void register_all() {
  for (auto n : sizes()) {
    const auto suffix = "/" + std::to_string(n);
    for (const auto& [op, name] : operations) {
      benchmark::RegisterBenchmark(("redis/" + std::string(name) + suffix).c_str(),
                                   [op, n](benchmark::State& st) {
                                     auto& f = fixture(n);
                                     store_ops(st, *f.store, *f.store, op, n, *f.seeder);
                                   })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("hiredis/" + std::string(name) + suffix).c_str(),
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
  server = std::make_unique<gatehouse::testing::RedisServer>();
  if (const char* mode = std::getenv("GATEHOUSE_BENCH_REDIS_APPENDFSYNC")) timed_appendfsync = mode;
  server->command({"CONFIG", "SET", "auto-aof-rewrite-percentage", "0"});
  server->command({"CONFIG", "SET", "appendfsync", timed_appendfsync});
  register_all();
  shared::SharedStoreReporter reporter("redis", "hiredis");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  fixtures.clear();
  server->stop();
  server.reset();
  return 0;
}
