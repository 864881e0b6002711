// Back-channel logout (issue #4): one POST /bff/backchannel through BffEndpoints::handle() on
// the SQLite store holding N sessions, beside its parts measured alone in the same run: the
// logout token's validation (parse, signature, claims) and the store's bare delete of the one
// session by (sub, sid). Also the replay-cache write and TicketStore::end_sessions (read +
// ticket decryption + delete), which together with the validation make up the request.
//
// Each iteration is one operation; only the operation is timed (manual time), the session it
// ends and the token it carries are made before. Sizes from GATEHOUSE_BENCH_SIZES, databases in
// GATEHOUSE_BENCH_DIR (shared with store_bench; what this adds is removed again).
#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include "bench_population.hpp"
#include "bench_report.hpp"
#include "bff/bff_endpoints.hpp"
#include "jose/test_keys.hpp"
#include "oidc/fake_provider.hpp"
#include "support/run.hpp"

#include <benchmark/benchmark.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <sstream>

namespace gatehouse::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char* client_id = "gatehouse-bench";
constexpr const char* subject_prefix = "bc-user-";  // sessions this benchmark creates

std::atomic<std::uint64_t> next_id{std::random_device{}() * 1000000ULL};

void must(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark failure: %s\n", what);
    std::abort();
  }
}

using gatehouse::testing::run;

// The operation's own time, from inside the coroutine: co_spawn and the future stay outside.
template <class T>
boost::asio::awaitable<std::pair<T, SteadyClock::duration>> timed(boost::asio::awaitable<T> aw) {
  const auto t0 = SteadyClock::now();
  auto result = co_await std::move(aw);
  co_return std::pair<T, SteadyClock::duration>{std::move(result), SteadyClock::now() - t0};
}

// Per-operation latencies; reported as the iteration time (mean) plus p50 and p99 counters.
class Latencies {
 public:
  void add(benchmark::State& state, SteadyClock::duration d) {
    const double seconds = std::chrono::duration<double>(d).count();
    state.SetIterationTime(seconds);
    us_.push_back(seconds * 1e6);
  }
  void report(benchmark::State& state) {
    if (us_.empty()) return;
    std::sort(us_.begin(), us_.end());
    state.counters["p50_us"] = us_[us_.size() / 2];
    state.counters["p99_us"] = us_[std::min(us_.size() - 1, us_.size() * 99 / 100)];
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  }

 private:
  std::vector<double> us_;
};

enum class Alg { rs256, es256 };
const char* alg_name(Alg a) {
  return a == Alg::rs256 ? "RS256" : "ES256";
}

// The provider (discovery + JWKS over loopback HTTP) and a loaded OIDC client; one per run.
struct Provider {
  boost::asio::io_context io;
  oidc::testing::FakeProvider fake;
  std::shared_ptr<oidc::OidcClient> client;

  Provider() {
    oidc::ClientSettings s;
    s.authority = fake.issuer();
    s.client_id = client_id;
    s.client_secret = "secret";
    s.scopes = {"openid"};
    s.redirect_uri = "http://127.0.0.1:8080/signin-oidc";
    client = std::make_shared<oidc::OidcClient>(io.get_executor(), s);
    must(run(io, client->load_metadata()).has_value(), "provider metadata");
  }

  // A logout token for (sub, sid) with a fresh jti, issued now, signed as the provider would.
  std::string logout_token(Alg alg, const std::string& sub, const std::string& sid) const {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const boost::json::object claims{
        {"iss", fake.issuer()},
        {"aud", client_id},
        {"iat", now},
        {"exp", now + 120},
        {"jti", "jti-" + std::to_string(next_id.fetch_add(1))},
        {"sub", sub},
        {"sid", sid},
        {"events", boost::json::object{{oidc::kBackchannelLogoutEvent, boost::json::object{}}}}};
    const auto& keys = jose::testing::test_keys();
    return alg == Alg::rs256 ? jose::testing::sign_jwt({{"typ", "logout+jwt"}}, claims,
                                                       keys.rsa.get(), "RS256", "rsa-1")
                             : jose::testing::sign_jwt({{"typ", "logout+jwt"}}, claims,
                                                       keys.ec.get(), "ES256", "ec-1");
  }
};

// The gateway's objects over one populated database: the session store, the replay store (its
// partition of the same engine, as the gateway builds it), the ticket store and the endpoints.
struct Gateway {
  std::string path;
  std::shared_ptr<SqliteUserSessionStore> store;
  std::shared_ptr<UserSessionStore> replay_store;
  std::shared_ptr<const crypto::KeyRing> keys =
      std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate());
  std::shared_ptr<tickets::TicketStore> ticket_store;
  std::shared_ptr<tickets::ReplayCache> replay;
  std::unique_ptr<bff::BffEndpoints> endpoints;

  Gateway(std::size_t n, const Provider& provider) : path(populated_database(n)) {
    store = std::make_shared<SqliteUserSessionStore>(
        SqliteUserSessionStoreOptions{.path = path, .partition = partition});
    // One engine for both partitions, as the gateway has it.
    replay_store = store->open_partition(tickets::replay_partition(partition));
    ticket_store =
        std::make_shared<tickets::TicketStore>(store, keys, tickets::TicketStoreOptions{});
    replay = std::make_shared<tickets::ReplayCache>(replay_store);
    // No revoker: the refresh tokens are read (and decrypted) but not sent anywhere.
    bff::EndpointOptions o{"/bff", "http://127.0.0.1:8080", {"__Host-gatehouse", true, "Lax"}};
    o.logout_replay_cache = replay;
    endpoints = std::make_unique<bff::BffEndpoints>(o, ticket_store, provider.client, keys);
  }

  // Removes what the benchmarks left: jti records, and sessions of an aborted run.
  ~Gateway() {
    endpoints.reset();
    replay.reset();
    ticket_store.reset();
    store.reset();
    replay_store.reset();
    sqlite3* db = open_raw(path);
    const auto sql = "DELETE FROM user_sessions WHERE partition_key = '" +
                     tickets::replay_partition(partition) + "'; DELETE FROM user_sessions WHERE " +
                     "partition_key = '" + partition + "' AND subject_id >= '" + subject_prefix +
                     "' AND subject_id < 'bc-user.';";
    sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
};

struct SignedIn {
  std::string subject, sid, handle;
};

// A session as a login makes it: sealed ticket of ~2 KiB with ID, access and refresh tokens.
SignedIn sign_in(boost::asio::io_context& io, Gateway& g) {
  const auto id = std::to_string(next_id.fetch_add(1));
  SignedIn s{subject_prefix + id, "bc-sid-" + id, {}};
  tickets::SessionTicket t;
  t.claims = {{"sub", s.subject}, {"sid", s.sid}, {"name", "Bench User"}, {"email", "u@x.test"}};
  t.id_token.assign(900, 'i');
  t.access_token.assign(900, 'a');
  t.refresh_token = "rt-" + id;
  t.access_token_expires_at = 1'900'000'000;
  auto issued = run(io, g.ticket_store->create(s.subject, s.sid, std::move(t)));
  must(issued.has_value(), "sign in");
  s.handle = issued->handle;
  return s;
}

bool alive(boost::asio::io_context& io, Gateway& g, const SignedIn& s) {
  auto loaded = run(io, g.ticket_store->load(s.handle, false));
  must(loaded.has_value(), "load");
  return loaded->has_value();
}

http::Request logout_post(std::string token) {
  http::Request r;
  r.method = "POST";
  r.target = r.path = "/bff/backchannel";
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  r.body = "logout_token=" + std::move(token);
  r.remote_address = "127.0.0.1";
  return r;
}

// ---- the benchmarks ----

void request(benchmark::State& state, Provider& p, Gateway& g, Alg alg) {
  Latencies latencies;
  for (auto _ : state) {
    const auto s = sign_in(p.io, g);
    auto post = logout_post(p.logout_token(alg, s.subject, s.sid));
    auto [response, took] = run(p.io, timed(g.endpoints->handle(post)));
    latencies.add(state, took);
    must(response && response->status == 200, "backchannel answered 200");
    must(!alive(p.io, g, s), "session ended");
  }
  latencies.report(state);
}

void validate_only(benchmark::State& state, Provider& p, Alg alg) {
  Latencies latencies;
  // Validation records nothing, so one token serves every iteration (it stays valid minutes).
  const auto token = p.logout_token(alg, "bc-user-x", "bc-sid-x");
  for (auto _ : state) {
    auto [validated, took] = run(p.io, timed(p.client->validate_logout_token(token)));
    latencies.add(state, took);
    must(validated.has_value(), "logout token valid");
  }
  latencies.report(state);
}

void delete_only(benchmark::State& state, Provider& p, Gateway& g) {
  Latencies latencies;
  for (auto _ : state) {
    const auto s = sign_in(p.io, g);
    UserSessionsFilter filter{.subject_id = s.subject, .session_id = s.sid};
    auto [removed, took] = run(p.io, timed(g.store->delete_user_sessions(std::move(filter))));
    latencies.add(state, took);
    must(removed && *removed == 1, "one session deleted");
  }
  latencies.report(state);
}

void replay_write(benchmark::State& state, Provider& p, Gateway& g) {
  Latencies latencies;
  const auto issuer = p.fake.issuer();
  const auto until = system_now() + std::chrono::minutes(6);
  for (auto _ : state) {
    const auto jti = "jti-" + std::to_string(next_id.fetch_add(1));
    auto [first, took] = run(p.io, timed(g.replay->first_use(issuer, jti, until)));
    latencies.add(state, took);
    must(first && *first, "jti recorded");
  }
  latencies.report(state);
}

void end_sessions(benchmark::State& state, Provider& p, Gateway& g) {
  Latencies latencies;
  for (auto _ : state) {
    const auto s = sign_in(p.io, g);
    UserSessionsFilter filter{.subject_id = s.subject, .session_id = s.sid};
    auto [ended, took] = run(p.io, timed(g.ticket_store->end_sessions(std::move(filter))));
    latencies.add(state, took);
    must(ended && ended->count == 1 && ended->refresh_tokens.size() == 1, "one session ended");
  }
  latencies.report(state);
}

std::vector<std::size_t> sizes() {
  const char* env = std::getenv("GATEHOUSE_BENCH_SIZES");
  std::stringstream in(env ? env : "10000,1000000");
  std::vector<std::size_t> out;
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoul(item));
  return out;
}

// Built on first use (a filtered run opens nothing it does not measure), kept for the run.
std::unique_ptr<Provider> the_provider;
std::map<std::size_t, std::unique_ptr<Gateway>> gateways;

Provider& provider() {
  if (!the_provider) the_provider = std::make_unique<Provider>();
  return *the_provider;
}
Gateway& gateway(std::size_t n) {
  auto& slot = gateways[n];
  if (!slot) slot = std::make_unique<Gateway>(n, provider());
  return *slot;
}

benchmark::internal::Benchmark* timed_case(const std::string& name,
                                           std::function<void(benchmark::State&)> body) {
  return benchmark::RegisterBenchmark(name.c_str(), std::move(body))
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

void register_all() {
  for (Alg alg : {Alg::rs256, Alg::es256})
    timed_case(std::string("backchannel/validate_only/") + alg_name(alg),
               [alg](benchmark::State& st) { validate_only(st, provider(), alg); });
  for (auto n : sizes()) {
    const auto suffix = "/" + std::to_string(n);
    timed_case("backchannel/delete_only" + suffix,
               [n](benchmark::State& st) { delete_only(st, provider(), gateway(n)); });
    timed_case("backchannel/replay_write" + suffix,
               [n](benchmark::State& st) { replay_write(st, provider(), gateway(n)); });
    timed_case("backchannel/end_sessions" + suffix,
               [n](benchmark::State& st) { end_sessions(st, provider(), gateway(n)); });
    for (Alg alg : {Alg::rs256, Alg::es256})
      timed_case(std::string("backchannel/request/") + alg_name(alg) + suffix,
                 [n, alg](benchmark::State& st) { request(st, provider(), gateway(n), alg); });
  }
}

}  // namespace
}  // namespace gatehouse::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // The endpoint logs one info line per logout: formatted as in production, written nowhere.
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>()));
  spdlog::set_level(spdlog::level::info);
  gatehouse::bench::register_all();
  gatehouse::bench::BackchannelReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  gatehouse::bench::gateways.clear();
  gatehouse::bench::the_provider.reset();
  return 0;
}
