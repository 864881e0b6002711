#include "conformance/user_session_cleanup_conformance.hpp"
#include "conformance/user_session_listing_conformance.hpp"
#include "conformance/user_session_partitions_conformance.hpp"
#include "conformance/user_session_store_conformance.hpp"
#include "stores/redis/redis_layout.hpp"
#include "stores/redis/redis_scripts.hpp"
#include "stores/redis/redis_traits.hpp"
#include "stores/redis/redis_two_instances.hpp"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace gatehouse::testing {
namespace {

using namespace std::chrono_literals;
using redis::Reply;

using RedisEngines = ::testing::Types<RedisTraits, RedisAttachedTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, UserSessionStoreConformance, RedisEngines);
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, UserSessionStoreCleanupConformance, RedisEngines);
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, UserSessionStoreListingConformance, RedisEngines);
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, UserSessionStorePartitionsConformance, RedisEngines);

class RedisStore : public ::testing::Test {
 protected:
  static RedisServer& server() { return RedisTraits::server(); }

  RedisStoreOptions options(std::chrono::milliseconds timeout = 5s) const {
    return {.url = server().url(), .prefix = prefix_, .timeout = timeout};
  }

  std::shared_ptr<RedisUserSessionStore> open(std::chrono::milliseconds timeout = 5s) {
    return std::make_shared<RedisUserSessionStore>(UserSessionStoreContext{"app", clock_.clock()},
                                                   options(timeout));
  }

  // The partition's keys as Redis holds them, without the base.
  std::set<std::string> keys() const {
    const auto base = prefix_ + ":{=app}:";
    std::set<std::string> out;
    for (const auto& k : server().command({"KEYS", prefix_ + ":*"}).elements)
      out.insert(k.text.substr(k.text.starts_with(base) ? base.size() : 0));
    return out;
  }

  long long pttl(const std::string& key) const {
    return server().command({"PTTL", prefix_ + ":{=app}:" + key}).integer;
  }

  std::string prefix_ = RedisTraitsBase::next_prefix();
  ManualClock clock_;
  boost::asio::io_context io_;
};

StoreErrc open_error(RedisStoreOptions options, std::string* what = nullptr) {
  try {
    RedisUserSessionStore store(UserSessionStoreContext{"app", system_clock()}, std::move(options));
  } catch (const StoreOpenError& e) {
    if (what) *what = e.what();
    return static_cast<StoreErrc>(e.code().value());
  }
  ADD_FAILURE() << "store opened";
  return StoreErrc{};
}

TEST_F(RedisStore, TheKeyLayoutIsTheDocumentedOne) {
  auto store = open();
  auto s = make_session("k1", "alice", "sid-1", clock_.now());  // expires in 1 h
  ASSERT_TRUE(run(io_, store->create_user_session(s)));
  auto forever = make_session("k2", "alice", std::nullopt, clock_.now());
  forever.expires.reset();
  ASSERT_TRUE(run(io_, store->create_user_session(forever)));
  EXPECT_EQ(keys(), (std::set<std::string>{"s:k1", "s:k2", "i:sid-1", "u:alice", "k", "x", "o"}));
  // The TTL follows the store's clock (here in 2027), not Redis's: 1 h plus the grace.
  const auto expected = (1h + redis::expiry_grace) / 1ms;
  EXPECT_GT(pttl("s:k1"), expected - 5000);
  EXPECT_LE(pttl("s:k1"), expected);
  EXPECT_GT(pttl("i:sid-1"), expected - 5000);
  for (auto key : {"s:k2", "u:alice", "k", "x", "o"}) EXPECT_EQ(pttl(key), -1) << key;
  // Every key of the partition is in one slot.
  std::set<long long> slots;
  for (const auto& key : server().command({"KEYS", prefix_ + ":*"}).elements)
    slots.insert(redis::key_slot(key.text));
  EXPECT_EQ(slots.size(), 1u);

  ASSERT_TRUE(run(io_, store->delete_user_session("k1")));
  ASSERT_TRUE(run(io_, store->delete_user_session("k2")));
  EXPECT_TRUE(keys().empty()) << "a delete leaves no index entry behind";
}

// What Redis expires itself (the record, after the grace) leaves index entries behind; reads
// skip and prune them, cleanup counts the session once and removes the rest.
TEST_F(RedisStore, SessionsRedisExpiredAreSkippedPrunedAndCountedOnce) {
  auto store = open();
  for (auto key : {"a", "b", "c"})
    ASSERT_TRUE(run(io_, store->create_user_session(
                             make_session(key, "alice", std::string("sid-") + key, clock_.now()))));
  server().command({"DEL", prefix_ + ":{=app}:s:b", prefix_ + ":{=app}:i:sid-b"});  // the TTL fired
  EXPECT_EQ(*run(io_, store->get_user_session("b")), std::nullopt);
  auto page = run(io_, store->list_user_sessions({.limit = 2}));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->sessions.size(), 2u);
  EXPECT_EQ(page->next, std::nullopt) << "the dropped record does not fill a page";
  auto found = run(io_, store->get_user_sessions({.subject_id = "alice"}));
  ASSERT_TRUE(found);
  EXPECT_EQ(keys_of(*found), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(server().command({"ZSCORE", prefix_ + ":{=app}:u:alice", "b"}).type, Reply::Type::nil)
      << "pruned as read";
  EXPECT_EQ(*run(io_, store->get_user_sessions({.session_id = "sid-b"})),
            std::vector<UserSession>{});

  clock_.advance(2h);
  auto removed = run(io_, store->delete_expired_sessions({.batch_size = 2}));
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 3u) << "the one Redis dropped counts too";
  EXPECT_TRUE(keys().empty());
  EXPECT_EQ(*run(io_, store->delete_expired_sessions({})), 0u) << "counted once";
}

// A reported cleanup names a session whose record Redis already dropped too: its subject (from
// the owners hash) and expiry (the expiry index score); its sid went with the record.
TEST_F(RedisStore, ACleanupReportsSessionsRedisExpiredWithoutTheirSid) {
  auto store = open();
  const auto kept = make_session("a", "alice", "sid-a", clock_.now());
  const auto dropped = make_session("b", "bob", "sid-b", clock_.now());
  for (const auto& s : {kept, dropped}) ASSERT_TRUE(run(io_, store->create_user_session(s)));
  server().command({"DEL", prefix_ + ":{=app}:s:b", prefix_ + ":{=app}:i:sid-b"});  // the TTL fired
  clock_.advance(2h);
  std::vector<ExpiredSession> told;
  DeleteExpiredOptions options{.batch_size = 10};
  options.on_removed = [&](std::span<const ExpiredSession> removed) {
    told.insert(told.end(), removed.begin(), removed.end());
  };
  auto removed = run(io_, store->delete_expired_sessions(std::move(options)));
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 2u);
  std::sort(told.begin(), told.end(), [](auto& x, auto& y) { return x.key < y.key; });
  EXPECT_EQ(told, (std::vector<ExpiredSession>{{"a", "alice", "sid-a", kept.expires},
                                               {"b", "bob", std::nullopt, dropped.expires}}));
  EXPECT_TRUE(keys().empty());
}

TEST_F(RedisStore, ScriptsAreSentAgainWhenRedisForgotThem) {
  auto store = open();
  ASSERT_TRUE(run(io_, store->create_user_session(make_session("k", "alice", "s", clock_.now()))));
  server().command({"SCRIPT", "FLUSH"});
  ASSERT_TRUE(run(io_, store->delete_user_session("k")));
  const auto& sha = redis::scripts().remove.sha1;
  EXPECT_EQ(server().command({"SCRIPT", "EXISTS", sha}).elements.at(0).integer, 1);
  EXPECT_EQ(*run(io_, store->get_user_session("k")), std::nullopt);
}

TEST_F(RedisStore, PartitionsShareTheEngine) {
  auto store = open();
  auto replay = std::dynamic_pointer_cast<RedisUserSessionStore>(store->open_partition("jti"));
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->engine(), store->engine()) << "one engine, one set of connections";
  ASSERT_TRUE(run(io_, replay->create_user_session(make_session("k", "a", "s", clock_.now()))));
  EXPECT_EQ(server().command({"EXISTS", prefix_ + ":{=jti}:s:k"}).integer, 1);
  EXPECT_EQ(store->statistics().connections_ready, 1u);
}

TEST_F(RedisStore, BadOptionsAreRefusedAtOpenWithoutThePassword) {
  std::string what;
  EXPECT_EQ(open_error({.url = "rediss://:hunter2@" + server().address()}, &what),
            StoreErrc::invalid_argument);
  EXPECT_NE(what.find("TLS"), std::string::npos) << what;
  EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  EXPECT_EQ(open_error({.url = "redis://:hunter2@" + server().address() + "/x"}, &what),
            StoreErrc::invalid_argument);
  EXPECT_NE(what.find("session.redis_url"), std::string::npos) << what;
  EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  EXPECT_EQ(open_error({.url = server().url(), .prefix = "a{b"}), StoreErrc::invalid_argument);
  EXPECT_EQ(open_error({.url = server().url(), .prefix = ""}), StoreErrc::invalid_argument);
  EXPECT_EQ(open_error({.url = server().url(), .timeout = 0ms}), StoreErrc::invalid_argument);
}

TEST_F(RedisStore, CredentialsAndDatabaseAreUsedAndAWrongPasswordIsNamedNotShown) {
  server().command({"ACL", "SETUSER", "gh-test", "on", ">s3cret-pass", "~*", "&*", "+@all"});
  std::string what;
  EXPECT_EQ(
      open_error({.url = "redis://gh-test:hunter2-wrong@" + server().address(), .timeout = 500ms},
                 &what),
      StoreErrc::unavailable);
  EXPECT_NE(what.find("WRONGPASS"), std::string::npos) << what;
  EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;

  RedisUserSessionStore store(
      UserSessionStoreContext{"app", clock_.clock()},
      {.url = "redis://gh-test:s3cret-pass@" + server().address() + "/2", .prefix = prefix_});
  ASSERT_TRUE(run(io_, store.create_user_session(make_session("k", "a", "s", clock_.now()))));
  const auto in_db2 =
      server().command({"EVAL", "redis.call('SELECT', 2) return redis.call('EXISTS', KEYS[1])", "1",
                        prefix_ + ":{=app}:s:k"});
  EXPECT_EQ(in_db2.integer, 1);
  EXPECT_EQ(server().command({"EXISTS", prefix_ + ":{=app}:s:k"}).integer, 0) << "not in db 0";
}

TEST_F(RedisStore, AnUnreachableServerIsUnavailableAtOpenWithinTheTimeout) {
  std::string what;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(open_error({.url = "redis://127.0.0.1:1", .timeout = 300ms}, &what),
            StoreErrc::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_NE(what.find("127.0.0.1:1"), std::string::npos) << what;
}

// The server goes away: operations report unavailable within the timeout; it comes back: the
// same store works again, nothing reopened, nothing lost.
TEST_F(RedisStore, AnOutageIsUnavailableAndTheStoreRecoversByItself) {
  auto store = open(300ms);
  ASSERT_TRUE(run(io_, store->create_user_session(make_session("before", "a", "s", clock_.now()))));
  server().stop();
  const auto started = std::chrono::steady_clock::now();
  auto got = run(io_, store->get_user_session("before"));
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), StoreErrc::unavailable);
  EXPECT_LT(waited, 1s) << "bounded by the 300 ms timeout";
  auto created =
      run(io_, store->create_user_session(make_session("during", "a", "s2", clock_.now())));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error(), StoreErrc::unavailable);

  server().start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  StoreResult<std::optional<UserSession>> again = make_error_code(StoreErrc::unavailable);
  while (!again && std::chrono::steady_clock::now() < deadline)
    again = run(io_, store->get_user_session("before"));
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_TRUE(*again) << "the acknowledged write survived the restart";
  EXPECT_GE(store->statistics().reconnects, 1u);
  EXPECT_TRUE(run(io_, store->create_user_session(make_session("after", "a", "s3", clock_.now()))));
}

// Redis holds the sent command (CLIENT PAUSE WRITE): a cancellation that arrives then must not
// pretend it did nothing; the store waits and reports what Redis did.
TEST_F(RedisStore, ACancellationAfterTheCommandWasSentReportsTheRealOutcome) {
  auto store = open();
  // Redis caches the script first: a NOSCRIPT answer would mean nothing ran, and a re-send
  // after the cancellation would rightly be dropped.
  ASSERT_TRUE(run(io_, store->create_user_session(make_session("warm", "a", "w", clock_.now()))));
  const auto sent_before = store->statistics().commands_sent;
  server().command({"CLIENT", "PAUSE", "5000", "WRITE"});
  boost::asio::cancellation_signal signal;
  std::optional<StoreResult<void>> result;
  boost::asio::co_spawn(
      io_,
      [&]() -> boost::asio::awaitable<void> {
        co_await boost::asio::this_coro::throw_if_cancelled(false);
        result = co_await store->create_user_session(make_session("k", "a", "s", clock_.now()));
      },
      boost::asio::bind_cancellation_slot(signal.slot(), boost::asio::detached));
  io_.restart();
  io_.poll();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (store->statistics().commands_sent == sent_before &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  ASSERT_GT(store->statistics().commands_sent, sent_before);
  signal.emit(boost::asio::cancellation_type::terminal);
  io_.poll();
  EXPECT_FALSE(result) << "Redis has not answered yet";
  server().command({"CLIENT", "UNPAUSE"});
  io_.restart();
  io_.run();
  ASSERT_TRUE(result);
  EXPECT_TRUE(*result) << result->error().message();
  EXPECT_TRUE(*run(io_, store->get_user_session("k")));
}

// Many commands in flight on one connection: while Redis holds writes, every create has been
// written out and none answered.
TEST_F(RedisStore, CommandsArePipelinedOnOneConnection) {
  auto store = open();
  ASSERT_TRUE(run(io_, store->create_user_session(make_session("warm", "a", "w", clock_.now()))));
  const auto sent_before = store->statistics().commands_sent;
  server().command({"CLIENT", "PAUSE", "5000", "WRITE"});
  constexpr int n = 50;
  int created = 0;
  for (int i = 0; i < n; ++i) {
    boost::asio::co_spawn(
        io_,
        [&, i]() -> boost::asio::awaitable<void> {
          if (co_await store->create_user_session(make_session(
                  "p" + std::to_string(i), "a", "sid-p" + std::to_string(i), clock_.now())))
            ++created;
        },
        boost::asio::detached);
  }
  io_.restart();
  io_.poll();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (store->statistics().commands_sent < sent_before + n &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_EQ(store->statistics().commands_sent, sent_before + n);
  EXPECT_EQ(store->statistics().connections_ready, 1u);
  io_.poll();
  EXPECT_EQ(created, 0) << "all sent, none answered yet";
  server().command({"CLIENT", "UNPAUSE"});
  io_.run();
  EXPECT_EQ(created, n);
}

TEST_F(RedisStore, OperationsResumeOnTheCallersExecutor) {
  auto store = open();
  const auto caller = std::this_thread::get_id();
  bool resumed_here = false;
  run(io_, [&]() -> boost::asio::awaitable<void> {
    co_await store->get_user_session("k");
    resumed_here =
        std::this_thread::get_id() == caller && io_.get_executor().running_in_this_thread();
  }());
  EXPECT_TRUE(resumed_here) << "not on the engine's io thread";
}

// Attached to the caller's own io_context (one thread, as a gateway with threads = 1): the
// engine's I/O and the caller share the thread, and once that context has stopped the engine
// closes its connection on the thread that lets it go.
TEST_F(RedisStore, AnEngineAttachedToTheCallersContextServesItOnItsOwnThread) {
  auto opts = options();
  opts.executor = io_.get_executor();
  auto store =
      std::make_shared<RedisUserSessionStore>(UserSessionStoreContext{"app", clock_.clock()}, opts);
  const auto caller = std::this_thread::get_id();
  constexpr int lanes = 16, rounds = 20;
  std::atomic<int> answered{0}, elsewhere{0};
  int lanes_left = lanes;
  for (int c = 0; c < lanes; ++c)
    boost::asio::co_spawn(
        io_,
        [&, c]() -> boost::asio::awaitable<void> {
          for (int r = 0; r < rounds; ++r) {
            const auto key = "c" + std::to_string(c) + "r" + std::to_string(r);
            auto created = co_await store->create_user_session(
                make_session(key, "a", std::nullopt, clock_.now()));
            auto got = co_await store->get_user_session(key);
            if (std::this_thread::get_id() != caller) ++elsewhere;
            if (created && got && *got && (*got)->key == key) ++answered;
          }
          if (--lanes_left == 0) io_.stop();  // the connection keeps the context busy
        },
        boost::asio::detached);
  io_.run();
  EXPECT_EQ(answered, lanes * rounds);
  EXPECT_EQ(elsewhere, 0);
  EXPECT_EQ(store->statistics().connections_ready, 1u);
  EXPECT_EQ(keys().count("s:c0r0"), 1u) << "written to the server";
  store.reset();  // io_ has stopped: the engine shuts down here, not when io_ is destroyed
}

// The attached engine's executor never runs again and is destroyed with the Core's handlers
// (a gateway that failed to start after opening its store): nothing leaks, nothing calls back.
TEST_F(RedisStore, AnAttachedEngineWhoseContextNeverRunsGoesWithIt) {
  auto io = std::make_unique<boost::asio::io_context>();
  auto opts = options();
  opts.executor = io->get_executor();
  auto store =
      std::make_shared<RedisUserSessionStore>(UserSessionStoreContext{"app", clock_.clock()}, opts);
  io->poll();  // starts connecting, as a gateway's first turns would
  store.reset();
  io.reset();
}

// kill -9 in the middle of a burst of writes (appendfsync always): every acknowledged create is
// there after Redis restarts on the same directory.
TEST_F(RedisStore, KillNineDuringWriteBurstKeepsEveryAcknowledgedWrite) {
  auto store = open(1s);
  std::set<std::string> acknowledged;
  std::size_t failed = 0;
  bool killed = false;
  const std::string ticket(2048, 't');
  for (int writer = 0; writer < 32; ++writer) {
    boost::asio::co_spawn(
        io_,
        [&, writer]() -> boost::asio::awaitable<void> {
          for (int n = 0;; ++n) {
            auto s = make_session("d" + std::to_string(writer) + "-" + std::to_string(n), "u",
                                  std::nullopt, clock_.now());
            s.ticket = ticket;
            auto r = co_await store->create_user_session(s);
            if (!r) {
              ++failed;
              co_return;
            }
            acknowledged.insert(s.key);
            if (!killed && acknowledged.size() >= 3000) {
              killed = true;
              server().kill9();  // 32 creates are in flight
            }
          }
        },
        boost::asio::detached);
  }
  io_.run();
  ASSERT_TRUE(killed);
  EXPECT_EQ(failed, 32u);
  server().start();
  auto reopened = open();
  std::size_t present = 0;
  for (const auto& key : acknowledged) {
    auto got = run(io_, reopened->get_user_session(key));
    ASSERT_TRUE(got) << got.error().message();
    if (*got && (*got)->ticket == ticket)
      ++present;
    else
      ADD_FAILURE() << "acknowledged write lost: " << key;
  }
  EXPECT_EQ(present, acknowledged.size());
}

// Replies that reach the socket together, far more than hiredis reads at once (16 KiB), are all
// read at once: the reactor is edge-triggered, and none may wait for bytes already there.
TEST_F(RedisStore, ABurstOfLargeRepliesIsReadWhole) {
  auto store = open(2s);
  constexpr int n = 40;
  for (int i = 0; i < n; ++i) {
    auto s = make_session("big" + std::to_string(i), "a", std::nullopt, clock_.now());
    s.ticket.assign(8 * 1024, 't');
    ASSERT_TRUE(run(io_, store->create_user_session(std::move(s))));
  }
  const auto sent_before = store->statistics().commands_sent;
  const auto started = std::chrono::steady_clock::now();
  server().command({"CLIENT", "PAUSE", "300"});  // the gets queue up; then one burst answers
  int found = 0;
  for (int i = 0; i < n; ++i)
    boost::asio::co_spawn(
        io_,
        [&, i]() -> boost::asio::awaitable<void> {
          auto got = co_await store->get_user_session("big" + std::to_string(i));
          if (got && *got && (*got)->ticket.size() == 8 * 1024) ++found;
        },
        boost::asio::detached);
  io_.restart();
  io_.run();
  EXPECT_EQ(found, n);
  EXPECT_EQ(store->statistics().commands_sent, sent_before + n) << "none was sent again";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms) << "well before the timeout";
}

// Callers on several io threads at once (issue #11): each is answered, on its own thread.
TEST_F(RedisStore, CallersOnSeveralThreadsAreEachResumedOnTheirOwn) {
  auto store = open();
  constexpr int threads = 4, per_thread = 8, rounds = 25;
  const auto now = clock_.now();
  std::atomic<int> answered{0}, elsewhere{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      boost::asio::io_context io;
      for (int c = 0; c < per_thread; ++c)
        boost::asio::co_spawn(
            io,
            [&, t, c]() -> boost::asio::awaitable<void> {
              for (int r = 0; r < rounds; ++r) {
                const auto key =
                    "t" + std::to_string(t) + "c" + std::to_string(c) + "r" + std::to_string(r);
                auto created =
                    co_await store->create_user_session(make_session(key, "a", std::nullopt, now));
                if (!io.get_executor().running_in_this_thread()) ++elsewhere;
                auto got = co_await store->get_user_session(key);
                if (!io.get_executor().running_in_this_thread()) ++elsewhere;
                if (created && got && *got && (*got)->key == key) ++answered;
              }
            },
            boost::asio::detached);
      io.run();
    });
  for (auto& w : workers) w.join();
  EXPECT_EQ(answered, threads * per_thread * rounds);
  EXPECT_EQ(elsewhere, 0);
}

TEST_F(RedisStore, TwoInstancesKeepTheRulesUnderConcurrency) {
  check_two_instances(options(), clock_);
}

}  // namespace
}  // namespace gatehouse::testing
