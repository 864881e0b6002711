#include <gatehouse/session/cleanup_service.hpp>
#include <gatehouse/stores/memory_user_session_store.hpp>

#include "support/run.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace gatehouse::testing {
namespace {

// Runs `io` until it has no work left, for at most `limit`; false when it was still busy (a loop
// that never ends fails the test with a message instead of hanging until ctest's timeout).
bool run_to_completion(boost::asio::io_context& io,
                       std::chrono::seconds limit = std::chrono::seconds(10)) {
  io.run_for(limit);
  return io.stopped();
}

// Counts the service's cleanups and stops it after `stop_after` (pure scheduling logic).
class CountingCleanup : public UserSessionStoreCleanup {
 public:
  std::function<void()> on_run;
  int runs = 0;
  std::size_t last_batch = 0;

  boost::asio::awaitable<StoreResult<std::size_t>> delete_expired_sessions(
      DeleteExpiredOptions options) override {
    ++runs;
    last_batch = options.batch_size;
    if (on_run) on_run();
    co_return std::size_t{7};
  }
};

TEST(UserSessionCleanupService, RunOnceRemovesExpiredSessionsFromTheStore) {
  ManualClock clock;
  auto store = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app", .clock = clock.clock()});
  boost::asio::io_context io;
  for (int i = 0; i < 5; ++i) {
    UserSession s{.key = "k" + std::to_string(i), .subject_id = "a"};
    s.expires = clock.now() + std::chrono::minutes(i);
    ASSERT_TRUE(run(io, store->create_user_session(s)));
  }
  clock.advance(std::chrono::minutes(2) + std::chrono::milliseconds(1));
  UserSessionCleanupService service(io.get_executor(), store, {.batch_size = 2});
  auto removed = run(io, service.run_once());
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 3u);
}

TEST(UserSessionCleanupService, TellsOnDeletedEachBatchsSessionsAndNothingWhenNone) {
  ManualClock clock;
  auto store = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app", .clock = clock.clock()});
  boost::asio::io_context io;
  for (int i = 0; i < 3; ++i) {
    UserSession s{.key = "k" + std::to_string(i), .subject_id = "user" + std::to_string(i)};
    s.expires = clock.now() + std::chrono::minutes(1);
    ASSERT_TRUE(run(io, store->create_user_session(s)));
  }
  // The subjects of each batch. Held by the callback as the gateway's holds its events (a
  // shared_ptr): a callback destroyed twice would show (g++ 12, temporaries in a co_await).
  auto shared = std::make_shared<std::vector<std::vector<std::string>>>();
  auto& told = *shared;
  CleanupServiceOptions options{.batch_size = 2};
  options.on_deleted = [shared](std::span<const ExpiredSession> removed) {
    auto& batch = shared->emplace_back();
    for (const auto& s : removed) batch.push_back(s.subject_id);
  };
  UserSessionCleanupService service(io.get_executor(), store, options);
  ASSERT_TRUE(run(io, service.run_once()));
  EXPECT_TRUE(told.empty()) << "nothing had expired: nobody is told";
  clock.advance(std::chrono::minutes(2));
  auto removed = run(io, service.run_once());
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 3u);
  // The memory store removes in expiry, then key order.
  EXPECT_EQ(told, (std::vector<std::vector<std::string>>{{"user0", "user1"}, {"user2"}}));
  options.on_deleted = nullptr;
  EXPECT_EQ(shared.use_count(), 2) << "held by the service's options, and here";
}

TEST(UserSessionCleanupService, RunsOnTheIntervalUntilStopped) {
  boost::asio::io_context io;
  auto cleanup = std::make_shared<CountingCleanup>();
  UserSessionCleanupService service(io.get_executor(), cleanup,
                                    {.interval = std::chrono::milliseconds(1), .batch_size = 42});
  cleanup->on_run = [&] {
    if (cleanup->runs == 3) service.stop();
  };
  service.start();
  ASSERT_TRUE(run_to_completion(io)) << "the loop still ran 10 s later: stop() did not end it";
  EXPECT_EQ(cleanup->runs, 3);
  EXPECT_EQ(cleanup->last_batch, 42u);
}

// Takes every other turn: another instance has the rest.
class EveryOtherTurn final : public CleanupTurns {
 public:
  int asked = 0;
  boost::asio::awaitable<bool> take_turn() override { co_return ++asked % 2 == 0; }
};

TEST(UserSessionCleanupService, RoundsRunOnlyWhereTheTurnWasTaken) {
  boost::asio::io_context io;
  auto cleanup = std::make_shared<CountingCleanup>();
  auto turns = std::make_shared<EveryOtherTurn>();
  UserSessionCleanupService service(
      io.get_executor(), cleanup,
      {.interval = std::chrono::milliseconds(1), .batch_size = 5, .turns = turns});
  cleanup->on_run = [&] {
    if (cleanup->runs == 3) service.stop();
  };
  service.start();
  ASSERT_TRUE(run_to_completion(io)) << "the loop still ran 10 s later";
  EXPECT_EQ(cleanup->runs, 3);
  EXPECT_EQ(turns->asked, 6) << "every round asks; only every other one runs";
  // An operator's explicit run does not wait for a turn.
  ASSERT_TRUE(run(io, service.run_once()));
  EXPECT_EQ(cleanup->runs, 4);
  EXPECT_EQ(turns->asked, 6);
}

TEST(UserSessionCleanupService, StopCancelsAPendingIntervalPromptly) {
  boost::asio::io_context io;
  auto cleanup = std::make_shared<CountingCleanup>();
  UserSessionCleanupService service(io.get_executor(), cleanup,
                                    {.interval = std::chrono::hours(1)});
  service.start();
  boost::asio::post(io, [&] { service.stop(); });
  ASSERT_TRUE(run_to_completion(io)) << "stop() did not cancel the hour-long interval";
  EXPECT_EQ(cleanup->runs, 0);
}

TEST(UserSessionCleanupService, RejectsNonsenseOptions) {
  boost::asio::io_context io;
  auto cleanup = std::make_shared<CountingCleanup>();
  EXPECT_THROW(UserSessionCleanupService(io.get_executor(), cleanup, {.interval = {}}),
               std::invalid_argument);
  EXPECT_THROW(UserSessionCleanupService(io.get_executor(), cleanup, {.batch_size = 0}),
               std::invalid_argument);
  EXPECT_THROW(UserSessionCleanupService(io.get_executor(), nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace gatehouse::testing
