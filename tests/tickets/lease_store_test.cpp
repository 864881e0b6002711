// Refresh leases: one holder at a time across instances sharing a store, expiry, take-over of
// an expired lease, renewal that notices a loss, release.
#include "tickets/lease_store.hpp"
#include "tickets/cleanup_turns.hpp"

#include <gatehouse/stores/memory_user_session_store.hpp>
#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <latch>

namespace gatehouse::testing {
namespace {

using namespace std::chrono_literals;
using tickets::Lease;
using tickets::LeaseStore;

class LeaseStoreTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  std::shared_ptr<InMemorySessionDatabase> database_ = make_in_memory_session_database();
  std::shared_ptr<UserSessionStore> open() {
    return std::make_shared<InMemoryUserSessionStore>(InMemoryUserSessionStoreOptions{
        .partition = "app/refresh-lease", .clock = clock_.clock(), .database = database_});
  }
  // Two instances: two stores (and lease stores) over one database.
  LeaseStore first_{open(), clock_.clock()};
  LeaseStore second_{open(), clock_.clock()};
  boost::asio::io_context io_;

  std::optional<Lease> acquire(LeaseStore& leases, std::string key = "session-key") {
    auto r = run(io_, leases.try_acquire(std::move(key), 10s));
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : std::nullopt;
  }
};

TEST_F(LeaseStoreTest, OneHolderAtATime) {
  auto held = acquire(first_);
  ASSERT_TRUE(held);
  EXPECT_FALSE(acquire(second_)) << "the other instance must wait";
  EXPECT_FALSE(acquire(first_)) << "and so must another request on the same instance";
  EXPECT_TRUE(acquire(second_, "another-session")) << "leases are per key";
}

TEST_F(LeaseStoreTest, ReleaseLetsTheNextOneIn) {
  auto held = acquire(first_);
  ASSERT_TRUE(held);
  run(io_, first_.release(*held));
  auto next = acquire(second_);
  ASSERT_TRUE(next);
  EXPECT_NE(next->owner, held->owner);
  // The first holder's late release must not end the second's lease.
  run(io_, first_.release(*held));
  EXPECT_FALSE(acquire(first_));
}

TEST_F(LeaseStoreTest, AnExpiredLeaseIsTakenOverAndItsHolderNoticesOnRenewal) {
  auto held = acquire(first_);
  ASSERT_TRUE(held);
  clock_.advance(9s);
  EXPECT_FALSE(acquire(second_));
  auto renewed = run(io_, first_.renew(*held, 10s));
  ASSERT_TRUE(renewed);
  EXPECT_TRUE(*renewed);
  clock_.advance(11s);  // the holder died (or stalled) and stopped renewing
  auto taken = acquire(second_);
  ASSERT_TRUE(taken);
  auto lost = run(io_, first_.renew(*held, 10s));
  ASSERT_TRUE(lost);
  EXPECT_FALSE(*lost) << "the old holder learns it no longer holds the lease";
  EXPECT_FALSE(acquire(first_));
}

// Cleanup rounds: one instance per interval, the next interval free for whoever comes first.
TEST_F(LeaseStoreTest, CleanupTurnsGoToOneInstancePerInterval) {
  auto first = tickets::LeaseCleanupTurns(std::make_shared<LeaseStore>(open(), clock_.clock()),
                                          "app", std::chrono::minutes(10));
  auto second = tickets::LeaseCleanupTurns(std::make_shared<LeaseStore>(open(), clock_.clock()),
                                           "app", std::chrono::minutes(10));
  auto other_partition =
      tickets::LeaseCleanupTurns(std::make_shared<LeaseStore>(open(), clock_.clock()),
                                 "app/logout-jti", std::chrono::minutes(10));
  EXPECT_TRUE(run(io_, first.take_turn()));
  EXPECT_FALSE(run(io_, second.take_turn())) << "the other instance skips this round";
  EXPECT_FALSE(run(io_, first.take_turn())) << "and so does the same one, a moment later";
  EXPECT_TRUE(run(io_, other_partition.take_turn())) << "turns are per partition";
  clock_.advance(std::chrono::minutes(10));
  EXPECT_TRUE(run(io_, second.take_turn())) << "the next round is anyone's";
  EXPECT_FALSE(run(io_, first.take_turn()));
}

// Many requests of many instances at once, on several threads: exactly one wins.
TEST(LeaseStoreRace, ExactlyOneOfManyConcurrentAcquirersWins) {
  TempDir dir;
  ManualClock clock;
  auto engine = open_sqlite_session_database({.path = dir.file("s.db")});
  constexpr int contenders = 24;
  boost::asio::thread_pool pool(4);
  std::atomic<int> won{0}, failed{0};
  std::latch done(contenders);
  for (int i = 0; i < contenders; ++i) {
    auto store =
        std::make_shared<SqliteUserSessionStore>(engine, "app/refresh-lease", clock.clock());
    auto leases = std::make_shared<LeaseStore>(store, clock.clock());
    boost::asio::co_spawn(
        pool,
        [leases, &won, &failed, &done]() -> boost::asio::awaitable<void> {
          auto r = co_await leases->try_acquire("session-key", 10s);
          if (!r)
            ++failed;
          else if (*r)
            ++won;
          done.count_down();
        },
        boost::asio::detached);
  }
  done.wait();
  pool.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(failed.load(), 0);
}

}  // namespace
}  // namespace gatehouse::testing
