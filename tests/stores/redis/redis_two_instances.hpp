// Two gateway instances on one Redis (two engines, two sets of connections, callers on four
// threads): create-if-absent, the session id rule and compare-and-set hold across them, and a
// filter finds every session of a subject, not only the newest (mod_auth_openidc's by-subject
// index is a single slot, so its "log out everywhere" ends one session).
#pragma once

#include <gatehouse/stores/redis_user_session_store.hpp>

#include "conformance/store_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <functional>
#include <latch>
#include <vector>

namespace gatehouse::testing {

// Runs `operation(store, i)` for i in 0..count-1 on a thread pool, alternating the two stores,
// and returns how many succeeded; every failure must be `allowed`.
inline int race(
    const std::shared_ptr<UserSessionStore>& a, const std::shared_ptr<UserSessionStore>& b,
    int count,
    std::function<boost::asio::awaitable<StoreResult<void>>(UserSessionStore&, int)> operation,
    StoreErrc allowed) {
  boost::asio::thread_pool pool(4);
  std::atomic<int> won{0};
  std::latch finished(count);
  for (int i = 0; i < count; ++i) {
    auto store = i % 2 ? a : b;
    boost::asio::co_spawn(
        pool,
        [store, i, &operation, &won, &finished, allowed]() -> boost::asio::awaitable<void> {
          auto r = co_await operation(*store, i);
          if (r)
            ++won;
          else
            EXPECT_EQ(r.error(), allowed) << r.error().message();
          finished.count_down();
        },
        boost::asio::detached);
  }
  finished.wait();
  pool.join();
  return won.load();
}

inline void check_two_instances(const RedisStoreOptions& options, const ManualClock& clock) {
  const UserSessionStoreContext context{"app", clock.clock()};
  auto first = std::make_shared<RedisUserSessionStore>(context, options);
  auto second = std::make_shared<RedisUserSessionStore>(context, options);
  ASSERT_NE(first->engine(), second->engine());
  std::shared_ptr<UserSessionStore> a = first, b = second;
  const auto now = clock.now();
  boost::asio::io_context io;

  for (int key = 0; key < 20; ++key) {
    const auto name = "race-" + std::to_string(key);
    const int won = race(
        a, b, 8,
        [&](UserSessionStore& s, int i) {
          return s.create_user_session(
              make_session(name, "u" + std::to_string(i), name + "-sid-" + std::to_string(i), now));
        },
        StoreErrc::conflict);
    EXPECT_EQ(won, 1) << name << ": one create of a key wins";
  }

  for (int sid = 0; sid < 20; ++sid) {
    const auto name = "shared-sid-" + std::to_string(sid);
    const int won = race(
        a, b, 8,
        [&](UserSessionStore& s, int i) {
          return s.create_user_session(
              make_session(name + "-key-" + std::to_string(i), "alice", name, now));
        },
        StoreErrc::conflict);
    EXPECT_EQ(won, 1) << name << ": one session per session id";
    auto holders = run(io, b->get_user_sessions({.session_id = name}));
    ASSERT_TRUE(holders);
    EXPECT_EQ(holders->size(), 1u);
  }

  ASSERT_TRUE(run(io, a->create_user_session(make_session("cas", "carol", "cas-sid", now))));
  const int won = race(
      a, b, 16,
      [&](UserSessionStore& s, int i) {
        UserSessionUpdate u{
            "carol", "cas-sid", now, now, std::nullopt, "writer-" + std::to_string(i), 1};
        return s.update_user_session("cas", u);
      },
      StoreErrc::conflict);
  EXPECT_EQ(won, 1) << "one conditional update wins";
  auto cas = run(io, b->get_user_session("cas"));
  ASSERT_TRUE(cas && *cas);
  EXPECT_EQ((*cas)->version, 2u);

  // Ten logins of one user from two instances, one after another: a filter finds all ten.
  for (int i = 0; i < 10; ++i) {
    auto s = make_session("dave-" + std::to_string(i), "dave", "dave-sid-" + std::to_string(i),
                          now + std::chrono::seconds(i));
    ASSERT_TRUE(run(io, (i % 2 ? a : b)->create_user_session(s)));
  }
  auto all = run(io, b->get_user_sessions({.subject_id = "dave"}));
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 10u) << "every session of the subject, not only the newest";
  auto deleted = run(io, a->delete_user_sessions({.subject_id = "dave"}));
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 10u);
  EXPECT_TRUE(run(io, b->get_user_sessions({.subject_id = "dave"}))->empty());
}

}  // namespace gatehouse::testing
