// The whole gateway on several io threads, under a bounded stress of many keep-alive
// connections from several client threads: session checks with and without sliding renewal,
// "my sessions", proxied API calls, and revocations by another instance (a second store handle
// on the same SQLite file) that must show on the very next request on every connection. Built
// with ThreadSanitizer in CI (make test-tsan); bounded by a request count, not by time. Logs go
// through the gateway binary's line sink. A second case runs the operator's side beside the
// session paths: the admin API (listing, revoking, cleanup, keys), both /metrics listeners, the
// audit file, and SIGHUP reloads.
#include "bff/gateway.hpp"

#include <gatehouse/stores/redis_user_session_store.hpp>
#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include "crypto/key_ring.hpp"
#include "http/responses.hpp"
#include "http/server.hpp"
#include "logging/line_sink.hpp"
#include "stores/redis/redis_server.hpp"
#include "support/run.hpp"
#include "tickets/ticket_store.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

namespace gatehouse::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

constexpr std::size_t kSessions = 48;
constexpr std::size_t kRevoked = 12;  // the first kRevoked sessions end during the run
constexpr std::size_t kClientThreads = 4;
constexpr std::size_t kConnectionsPerThread = 4;
constexpr std::size_t kRequestsPerConnection = 150;

std::filesystem::path fresh_dir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("gatehouse-threads-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  return dir;
}

// A keep-alive HTTP/1.1 connection with blocking calls (one per client thread at a time).
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(io_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  // Status and body of one request; 0 when the connection failed.
  std::pair<unsigned, std::string> get(const std::string& target, const std::string& handle,
                                       beast::http::verb verb = beast::http::verb::get,
                                       const std::string& bearer = {}) {
    beast::http::request<beast::http::string_body> req{verb, target, 11};
    req.set(beast::http::field::host, "127.0.0.1");
    req.set("X-CSRF", "1");
    if (!handle.empty()) req.set(beast::http::field::cookie, "__Host-gatehouse=" + handle);
    if (!bearer.empty()) req.set(beast::http::field::authorization, "Bearer " + bearer);
    req.prepare_payload();
    boost::system::error_code ec;
    beast::http::write(socket_, req, ec);
    if (ec) return {0, ec.message()};
    beast::http::response<beast::http::string_body> res;
    beast::http::read(socket_, buffer_, res, ec);
    if (ec) return {0, ec.message()};
    return {res.result_int(), std::move(res.body())};
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

// Stops and joins whatever runs when the test ends early (a failed ASSERT).
struct Joined {
  std::function<void()> stop;
  std::thread& thread;
  ~Joined() {
    if (!thread.joinable()) return;
    stop();
    thread.join();
  }
};

// Counts failures from any thread and keeps the first few for the report.
class Failures {
 public:
  explicit Failures(std::atomic<std::size_t>& count) : count_(count) {}
  void operator()(std::string what) {
    ++count_;
    std::lock_guard lock(mutex_);
    if (samples_.size() < 10) samples_.push_back(std::move(what));
  }
  std::string samples() {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const auto& f : samples_) all += f + "\n";
    return all;
  }

 private:
  std::atomic<std::size_t>& count_;
  std::mutex mutex_;
  std::vector<std::string> samples_;
};

// What the clients saw. A 401 is right only for a session that may have been revoked; a 200 for
// one revoked before the request went out is a late revocation.
struct Tally {
  std::atomic<std::size_t> ok{0}, unauthorized{0}, failures{0}, late_revocations{0};

  // Counts one answer; true for a 200.
  bool answer(Failures& fail, const std::string& target, std::size_t session, unsigned status,
              const std::string& body, bool may_be_revoked, bool was_revoked) {
    if (status == 200) {
      ++ok;
      if (was_revoked) ++late_revocations;
      return true;
    }
    if (status == 401 && may_be_revoked) {
      ++unauthorized;
    } else {
      fail(target + " for session " + std::to_string(session) + ": " + std::to_string(status) +
           " " + body.substr(0, 200));
    }
    return false;
  }
};

// One client thread's keep-alive connections.
std::vector<std::unique_ptr<Client>> connect_clients(std::uint16_t port) {
  std::vector<std::unique_ptr<Client>> clients;
  for (std::size_t n = 0; n < kConnectionsPerThread; ++n)
    clients.push_back(std::make_unique<Client>(port));
  return clients;
}

struct Seeded {
  std::vector<std::string> handles;
  std::vector<std::string> keys;
};

// Another instance's handle on the gateway's store: the same database file, or the same Redis
// (an engine of its own, on its own thread).
std::shared_ptr<UserSessionStore> other_instance_store(const config::Config& c) {
  if (c.session.store == config::StoreKind::redis)
    return std::make_shared<RedisUserSessionStore>(
        UserSessionStoreContext{c.session.partition, system_clock()},
        RedisStoreOptions{.url = c.session.redis_url, .prefix = c.session.redis_prefix});
  return std::make_shared<SqliteUserSessionStore>(SqliteUserSessionStoreOptions{
      .path = c.session.sqlite_path.string(), .partition = c.session.partition});
}

// Sessions written the way another instance would: same key ring file, same store.
Seeded seed_sessions(const config::Config& c) {
  auto keys = std::make_shared<crypto::KeyRing>(crypto::KeyRing::load_or_create(c.keys.path));
  tickets::TicketStore tickets(other_instance_store(c), keys, {});
  asio::io_context io;
  Seeded out;
  for (std::size_t i = 0; i < kSessions; ++i) {
    tickets::SessionTicket t;
    const auto user = "user-" + std::to_string(i % 8);
    t.claims["sub"] = user;
    t.claims["sid"] = "sid-" + std::to_string(i);
    t.id_token = "id";
    t.access_token = "access-" + std::to_string(i);
    t.access_token_expires_at =
        std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(1))
            .count();
    auto issued = run(io, tickets.create(user, "sid-" + std::to_string(i), t));
    if (!issued) {
      ADD_FAILURE() << "seeding session " << i << ": " << issued.error().message();
      break;
    }
    out.handles.push_back(issued->handle);
    out.keys.push_back(issued->key);
  }
  return out;
}

config::Config gateway_config(const std::filesystem::path& dir, std::uint16_t upstream_port) {
  config::Config c;
  c.server.listen = "127.0.0.1:0";
  c.server.public_origin = "http://127.0.0.1:8080";
  c.server.threads = 4;
  c.oidc.authority = "http://127.0.0.1:9";  // nobody there: the session paths need no provider
  c.oidc.client_id = "gatehouse";
  c.oidc.client_secret = "secret";
  c.session.sqlite_path = dir / "sessions.db";
  c.session.partition = "app";
  c.session.renew_after = std::chrono::milliseconds(0);  // every sliding request writes
  c.keys.path = dir / "keys.json";
  config::ApiRoute route;
  route.path = "/api";
  route.upstream = "http://127.0.0.1:" + std::to_string(upstream_port) + "/up";
  c.api.push_back(route);
  return c;
}

// Client threads on many keep-alive connections to a gateway on 4 io threads while another
// instance revokes sessions: every answer belongs to its own session, and each revocation is
// seen on the very next request, whichever io thread takes it.
void many_connections_and_revocations(const std::filesystem::path& dir,
                                      const std::function<void(config::Config&)>& store) {
  logging::use_line_sink();  // the binary's sink: request lines from every io thread
  // The upstream answers with the bearer token it was given, so a mixed-up session shows.
  asio::io_context upstream_io;
  http::ServerOptions upstream_options;
  upstream_options.listen = {"127.0.0.1:0"};
  http::Server upstream(upstream_io.get_executor(), upstream_options,
                        [](http::Request& r) -> asio::awaitable<http::Response> {
                          co_return http::text(200,
                                               std::string(r.header("Authorization").value_or("")));
                        });
  upstream.start();
  std::thread upstream_thread([&] { upstream_io.run(); });
  Joined upstream_joined{[&] { upstream_io.stop(); }, upstream_thread};

  auto c = gateway_config(dir, upstream.port());
  store(c);
  const auto seeded = seed_sessions(c);
  ASSERT_EQ(seeded.handles.size(), kSessions);
  bff::Gateway gateway(c);
  const auto port = gateway.port();
  std::thread serving([&] { gateway.run(); });
  Joined serving_joined{[&] { gateway.request_stop(); }, serving};

  std::array<std::atomic<bool>, kSessions> revoked{};
  Tally tally;
  Failures fail(tally.failures);

  auto client_thread = [&](std::size_t t) {
    auto clients = connect_clients(port);
    std::mt19937 rng(static_cast<unsigned>(t));
    for (std::size_t i = 0; i < kRequestsPerConnection * kConnectionsPerThread; ++i) {
      auto& client = *clients[i % clients.size()];
      const std::size_t s = rng() % kSessions;
      const bool was_revoked = revoked[s].load();
      const auto kind = rng() % 4;
      const std::string target = kind == 0   ? "/bff/user"
                                 : kind == 1 ? "/bff/user?slide=false"
                                 : kind == 2 ? "/bff/sessions"
                                             : "/api/x";
      auto [status, body] = client.get(target, seeded.handles[s]);
      if (tally.answer(fail, target, s, status, body, s < kRevoked, was_revoked) && kind == 3 &&
          body != "Bearer access-" + std::to_string(s))
        fail("session " + std::to_string(s) + " reached the API with '" + body + "'");
    }
  };

  // Another instance ends sessions while the clients run; each is then checked at once on a
  // fresh connection (so on whichever io thread takes it).
  auto revoker = [&] {
    auto keys = std::make_shared<crypto::KeyRing>(crypto::KeyRing::load_or_create(c.keys.path));
    tickets::TicketStore tickets(other_instance_store(c), keys, {});
    asio::io_context io;
    for (std::size_t s = 0; s < kRevoked; ++s) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      auto removed = run(io, tickets.remove(seeded.keys[s]));
      if (!removed) fail("revocation " + std::to_string(s) + " failed");
      revoked[s] = true;
      for (int probe = 0; probe < 3; ++probe) {
        Client fresh(port);
        if (auto [status, body] = fresh.get("/bff/user", seeded.handles[s]); status != 401)
          fail("revoked session " + std::to_string(s) + " answered " + std::to_string(status));
      }
    }
  };

  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kClientThreads; ++t) threads.emplace_back(client_thread, t);
  threads.emplace_back(revoker);
  for (auto& t : threads) t.join();

  gateway.request_stop();
  serving.join();
  upstream_io.stop();
  upstream_thread.join();
  std::filesystem::remove_all(dir);

  const std::size_t total = kClientThreads * kConnectionsPerThread * kRequestsPerConnection;
  EXPECT_EQ(tally.failures.load(), 0u) << fail.samples();
  EXPECT_EQ(tally.ok + tally.unauthorized + tally.failures, total);
  EXPECT_GT(tally.unauthorized.load(), 0u) << "revocations were seen by the clients";
  // A request sent after its session's revocation completed must not succeed. (Sent is
  // approximate here: the flag is read just before the request goes out.)
  EXPECT_EQ(tally.late_revocations.load(), 0u);
}

TEST(GatewayThreads, ManyConnectionsOnSeveralThreadsAndRevocationOnTheNextRequest) {
  many_connections_and_revocations(fresh_dir(), [](config::Config&) {});
}

// The same on Redis, whose engine runs on a strand of the gateway's four io threads.
TEST(GatewayThreads, ManyConnectionsAndRevocationsOnRedisAttachedToTheIoThreads) {
  static testing::RedisServer server;
  many_connections_and_revocations(fresh_dir(), [](config::Config& c) {
    c.session.store = config::StoreKind::redis;
    c.session.redis_url = server.url();
    c.session.redis_prefix = "threads";
  });
}

// The operator's side while the io threads serve sessions: the admin API lists and revokes
// (every revoked session 401 on the next request), runs cleanups and reads the key ring; a
// scraper reads /metrics on its own listener; SIGHUP reopens the audit file and re-reads the key
// ring; every admin revocation lands in the audit file as one whole line.
TEST(GatewayThreads, AdminMetricsAuditAndReloadsBesideTheSessionPaths) {
  logging::use_line_sink();  // the binary's sink: request lines from every io thread
  const auto dir = fresh_dir();
  auto c = gateway_config(dir, 9);  // no [[api]] call here
  const std::string token = "admin-token-for-the-threads-test-0123456789";
  c.admin.token = token;
  c.admin.listen = "127.0.0.1:0";
  c.metrics.listen = "127.0.0.1:0";
  c.audit.file = dir / "audit.jsonl";
  const auto seeded = seed_sessions(c);
  ASSERT_EQ(seeded.handles.size(), kSessions);
  bff::Gateway gateway(c);
  const auto port = gateway.port();
  const auto admin_port = gateway.admin_port();
  const auto metrics_port = gateway.metrics_port();
  ASSERT_NE(admin_port, 0);
  ASSERT_NE(metrics_port, 0);
  std::thread serving([&] { gateway.run(); });
  Joined serving_joined{[&] { gateway.request_stop(); }, serving};

  // Sessions of user-0 and user-1 (every 8th from 0 and from 1) are revoked by the admin.
  constexpr std::size_t kRevokedUsers = 2;
  std::array<std::atomic<bool>, kRevokedUsers> user_revoked{};
  Tally tally;
  Failures fail(tally.failures);

  auto client_thread = [&](std::size_t t) {
    auto clients = connect_clients(port);
    std::mt19937 rng(static_cast<unsigned>(100 + t));
    for (std::size_t i = 0; i < kRequestsPerConnection * kConnectionsPerThread; ++i) {
      auto& client = *clients[i % clients.size()];
      const std::size_t s = rng() % kSessions;
      const std::size_t user = s % 8;
      const bool was_revoked = user < kRevokedUsers && user_revoked[user].load();
      const std::string target = rng() % 2 ? "/bff/user" : "/bff/sessions";
      auto [status, body] = client.get(target, seeded.handles[s]);
      tally.answer(fail, target, s, status, body, user < kRevokedUsers, was_revoked);
    }
  };

  auto scraper = [&] {
    Client metrics(metrics_port);
    for (int n = 0; n < 60; ++n) {
      auto [status, body] = metrics.get("/metrics", "");
      if (status != 200 || body.find("gatehouse_http_requests_total") == std::string::npos)
        fail("GET /metrics on its own listener: " + std::to_string(status));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };

  auto operator_thread = [&] {
    Client admin(admin_port);
    auto expect = [&](const std::string& what, unsigned want,
                      std::pair<unsigned, std::string> got) {
      if (got.first != want)
        fail(what + ": " + std::to_string(got.first) + " " + got.second.substr(0, 200));
      return got.second;
    };
    expect("GET /admin/keys", 200, admin.get("/admin/keys", "", beast::http::verb::get, token));
    for (std::size_t user = 0; user < kRevokedUsers; ++user) {
      const auto sub = "user-" + std::to_string(user);
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      // The first admin answer came from a running io_context: run() has its signal sets.
      std::raise(SIGHUP);
      auto listed =
          expect("GET /admin/sessions?sub=" + sub, 200,
                 admin.get("/admin/sessions?sub=" + sub, "", beast::http::verb::get, token));
      if (listed.find(sub) == std::string::npos) fail("the listing of " + sub + " names nobody");
      expect("GET /metrics on the admin listener", 200,
             admin.get("/metrics", "", beast::http::verb::get, token));
      expect("DELETE /admin/sessions?sub=" + sub, 200,
             admin.get("/admin/sessions?sub=" + sub, "", beast::http::verb::delete_, token));
      user_revoked[user] = true;
      for (std::size_t s = user; s < kSessions; s += 8) {
        Client fresh(port);
        if (auto [status, body] = fresh.get("/bff/user", seeded.handles[s]); status != 401)
          fail("session " + std::to_string(s) + " revoked by the admin answered " +
               std::to_string(status));
      }
      expect("POST /admin/cleanup", 200,
             admin.get("/admin/cleanup", "", beast::http::verb::post, token));
    }
    expect("GET /admin/sessions without a token", 401,
           admin.get("/admin/sessions", "", beast::http::verb::get));
  };

  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 2; ++t) threads.emplace_back(client_thread, t);
  threads.emplace_back(scraper);
  threads.emplace_back(operator_thread);
  for (auto& t : threads) t.join();
  gateway.request_stop();
  serving.join();

  EXPECT_EQ(tally.failures.load(), 0u) << fail.samples();
  EXPECT_EQ(tally.ok + tally.unauthorized + tally.failures,
            2 * kConnectionsPerThread * kRequestsPerConnection);
  EXPECT_EQ(tally.late_revocations.load(), 0u);
  // Every line whole; one admin end per revoked session.
  std::ifstream audit(*c.audit.file);
  std::size_t lines = 0, admin_ends = 0;
  for (std::string line; std::getline(audit, line); ++lines) {
    EXPECT_TRUE(line.starts_with("{\"time\":\"") && line.ends_with("}")) << line;
    if (line.find("\"event\":\"session_ended\"") != std::string::npos &&
        line.find("\"actor\":\"admin\"") != std::string::npos)
      ++admin_ends;
  }
  EXPECT_EQ(admin_ends, kRevokedUsers * kSessions / 8);
  EXPECT_GT(lines, admin_ends) << "the admin actions are audited too";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gatehouse::testing
