// The one conformance suite every user session store passes. Instantiate it with a Traits type
// (see store_fixture.hpp):
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, UserSessionStoreConformance, ::testing::Types<MyTraits>);
//
// The store must also implement UserSessionStoreCleanup, and pass
// user_session_cleanup_conformance.hpp. Stores with the optional abilities also pass
// user_session_listing_conformance.hpp (UserSessionStoreListing) and
// user_session_partitions_conformance.hpp (UserSessionStorePartitions).
#pragma once

#include "conformance/store_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace gatehouse::testing {

template <class Traits>
class UserSessionStoreConformance : public StoreFixture<Traits> {};

TYPED_TEST_SUITE_P(UserSessionStoreConformance);

TYPED_TEST_P(UserSessionStoreConformance, GetOfUnknownKeyIsEmpty) {
  EXPECT_EQ(this->get("nobody"), std::nullopt);
}

TYPED_TEST_P(UserSessionStoreConformance, CreatedSessionRoundTripsEveryField) {
  auto with_sid = this->session("k1");
  auto without = this->session("k2", "bob", std::nullopt);
  without.session_id.reset();
  without.expires.reset();
  without.renewed = with_sid.created + std::chrono::milliseconds(1234);
  ASSERT_FALSE(this->create(with_sid));
  ASSERT_FALSE(this->create(without));
  with_sid.partition_key = "app";
  without.partition_key = "app";
  with_sid.version = without.version = 1;  // the store's count, whatever create was given
  EXPECT_EQ(this->get("k1"), with_sid);
  EXPECT_EQ(this->get("k2"), without);
}

TYPED_TEST_P(UserSessionStoreConformance, LargeTicketAndNonAsciiSubjectRoundTrip) {
  auto s = this->session("big", "Zoë-Ωμέγα-ユーザー-🙂");
  s.ticket.resize(64 * 1024);
  for (std::size_t i = 0; i < s.ticket.size(); ++i) s.ticket[i] = static_cast<char>(i * 31 % 256);
  ASSERT_FALSE(this->create(s));
  auto got = this->get("big");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->ticket, s.ticket);
  EXPECT_EQ(got->subject_id, s.subject_id);
  EXPECT_EQ(this->query({.subject_id = s.subject_id}), std::vector<std::string>{"big"});
}

TYPED_TEST_P(UserSessionStoreConformance, CreateOfExistingKeyConflictsAndKeepsOriginal) {
  auto original = this->session("k");
  ASSERT_FALSE(this->create(original));
  auto other = this->session("k", "mallory", "other-sid");
  other.ticket = "evil";
  EXPECT_EQ(this->create(other), StoreErrc::conflict);
  auto got = this->get("k");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->subject_id, "alice");
  EXPECT_EQ(got->ticket, original.ticket);
  EXPECT_TRUE(this->query({.subject_id = "mallory"}).empty());
}

TYPED_TEST_P(UserSessionStoreConformance, SessionIdIsUniqueWithinPartition) {
  ASSERT_FALSE(this->create(this->session("k1", "alice", "sid")));
  EXPECT_EQ(this->create(this->session("k2", "alice", "sid")), StoreErrc::conflict);
  EXPECT_EQ(this->get("k2"), std::nullopt);
  // Sessions without a sid never collide.
  auto a = this->session("n1");
  auto b = this->session("n2");
  a.session_id.reset();
  b.session_id.reset();
  EXPECT_FALSE(this->create(a));
  EXPECT_FALSE(this->create(b));
}

TYPED_TEST_P(UserSessionStoreConformance, UpdateReplacesEveryMutableField) {
  ASSERT_FALSE(this->create(this->session("k")));
  const auto now = this->clock_.now();
  UserSessionUpdate u{
      "alice2",     "sid-new",   now - std::chrono::minutes(5), now + std::chrono::minutes(1),
      std::nullopt, "new-ticket"};
  auto r = this->run(this->store_->update_user_session("k", u));
  ASSERT_TRUE(r) << r.error().message();
  auto got = this->get("k");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->subject_id, "alice2");
  EXPECT_EQ(got->session_id, "sid-new");
  EXPECT_EQ(got->created, u.created);
  EXPECT_EQ(got->renewed, u.renewed);
  EXPECT_EQ(got->expires, std::nullopt);
  EXPECT_EQ(got->ticket, "new-ticket");
  EXPECT_EQ(this->query({.session_id = "sid-new"}), std::vector<std::string>{"k"});
  EXPECT_TRUE(this->query({.session_id = "sid-k"}).empty());
  EXPECT_TRUE(this->query({.subject_id = "alice"}).empty());
}

TYPED_TEST_P(UserSessionStoreConformance, VersionStartsAtOneAndCountsEveryUpdate) {
  auto s = this->session("k");
  s.version = 42;  // ignored: the store keeps the count
  ASSERT_FALSE(this->create(s));
  EXPECT_EQ(this->get("k")->version, 1u);
  const auto now = this->clock_.now();
  for (std::uint64_t expected = 2; expected <= 4; ++expected) {
    UserSessionUpdate u{"alice", "sid-k", now, now, std::nullopt, "t" + std::to_string(expected)};
    ASSERT_TRUE(this->run(this->store_->update_user_session("k", u)));
    EXPECT_EQ(this->get("k")->version, expected);
  }
  EXPECT_EQ(this->query({.subject_id = "alice"}), std::vector<std::string>{"k"});
}

TYPED_TEST_P(UserSessionStoreConformance, ConditionalUpdateNeedsTheStoredVersion) {
  ASSERT_FALSE(this->create(this->session("k")));
  const auto now = this->clock_.now();
  UserSessionUpdate fresh{"alice", "sid-k", now, now, std::nullopt, "fresh-tokens", 1};
  ASSERT_TRUE(this->run(this->store_->update_user_session("k", fresh)));
  // A slower writer that read version 1 must not put its old data back.
  UserSessionUpdate stale{"alice", "sid-k", now, now, std::nullopt, "stale-tokens", 1};
  auto r = this->run(this->store_->update_user_session("k", stale));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), StoreErrc::conflict);
  auto got = this->get("k");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->ticket, "fresh-tokens");
  EXPECT_EQ(got->version, 2u);
  UserSessionUpdate next{"alice", "sid-k", now, now, std::nullopt, "next", 2};
  EXPECT_TRUE(this->run(this->store_->update_user_session("k", next)));
  EXPECT_EQ(this->get("k")->version, 3u);
  // Conditional or not, a missing key is not_found and is never created.
  UserSessionUpdate gone{"alice", std::nullopt, now, now, std::nullopt, "t", 1};
  auto missing = this->run(this->store_->update_user_session("gone", gone));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), StoreErrc::not_found);
  EXPECT_EQ(this->get("gone"), std::nullopt);
}

// Many writers, one version: exactly one conditional update wins, from any thread.
TYPED_TEST_P(UserSessionStoreConformance, ConcurrentConditionalUpdatesHaveOneWinner) {
  ASSERT_FALSE(this->create(this->session("k")));
  constexpr int writers = 16;
  boost::asio::thread_pool pool(4);
  std::atomic<int> won{0}, conflicts{0}, other{0};
  std::latch finished(writers);
  auto store = this->store_;
  const auto now = this->clock_.now();
  for (int i = 0; i < writers; ++i) {
    boost::asio::co_spawn(
        pool,
        [store, i, now, &won, &conflicts, &other, &finished]() -> boost::asio::awaitable<void> {
          UserSessionUpdate u{
              "alice", "sid-k", now, now, std::nullopt, "writer-" + std::to_string(i), 1};
          auto r = co_await store->update_user_session("k", u);
          if (r)
            ++won;
          else if (r.error() == StoreErrc::conflict)
            ++conflicts;
          else
            ++other;
          finished.count_down();
        },
        boost::asio::detached);
  }
  finished.wait();
  pool.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(conflicts.load(), writers - 1);
  EXPECT_EQ(other.load(), 0);
  auto got = this->get("k");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->version, 2u);
  EXPECT_TRUE(got->ticket.starts_with("writer-")) << got->ticket;
}

TYPED_TEST_P(UserSessionStoreConformance, UpdateOfMissingKeyCreatesNothing) {
  const auto now = this->clock_.now();
  UserSessionUpdate u{"alice", "sid", now, now, now + std::chrono::hours(1), "t"};
  auto r = this->run(this->store_->update_user_session("gone", u));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), StoreErrc::not_found);
  EXPECT_EQ(this->get("gone"), std::nullopt);
  EXPECT_TRUE(this->query({.subject_id = "alice"}).empty());
}

TYPED_TEST_P(UserSessionStoreConformance, UpdateToAnotherSessionsSidConflicts) {
  ASSERT_FALSE(this->create(this->session("k1", "alice", "s1")));
  ASSERT_FALSE(this->create(this->session("k2", "alice", "s2")));
  const auto now = this->clock_.now();
  UserSessionUpdate u{"alice", "s1", now, now, std::nullopt, "t"};
  auto r = this->run(this->store_->update_user_session("k2", u));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), StoreErrc::conflict);
  EXPECT_EQ(this->get("k2")->session_id, "s2");
}

TYPED_TEST_P(UserSessionStoreConformance, DeleteRemovesAndMissingKeyIsFine) {
  ASSERT_FALSE(this->create(this->session("k")));
  EXPECT_TRUE(this->run(this->store_->delete_user_session("k")));
  EXPECT_EQ(this->get("k"), std::nullopt);
  EXPECT_TRUE(this->query({.subject_id = "alice"}).empty());
  EXPECT_TRUE(this->run(this->store_->delete_user_session("k")));
  EXPECT_TRUE(this->run(this->store_->delete_user_session("never-was")));
  // The key is free again.
  EXPECT_FALSE(this->create(this->session("k")));
}

TYPED_TEST_P(UserSessionStoreConformance, FilterNeedsSubjectOrSessionId) {
  auto q = this->run(this->store_->get_user_sessions({}));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error(), StoreErrc::invalid_argument);
  auto d = this->run(this->store_->delete_user_sessions({}));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), StoreErrc::invalid_argument);
  auto e = this->run(this->store_->get_user_sessions({.subject_id = ""}));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), StoreErrc::invalid_argument);
}

TYPED_TEST_P(UserSessionStoreConformance, FilterBySubjectSessionIdAndBoth) {
  ASSERT_FALSE(this->create(this->session("a1", "alice", "s1")));
  ASSERT_FALSE(this->create(this->session("a2", "alice", "s2")));
  ASSERT_FALSE(this->create(this->session("b1", "bob", "s3")));
  using V = std::vector<std::string>;
  EXPECT_EQ(this->query({.subject_id = "alice"}), (V{"a1", "a2"}));
  EXPECT_EQ(this->query({.session_id = "s3"}), (V{"b1"}));
  EXPECT_EQ(this->query({.subject_id = "alice", .session_id = "s2"}), (V{"a2"}));
  EXPECT_TRUE(this->query({.subject_id = "alice", .session_id = "s3"}).empty());
  EXPECT_TRUE(this->query({.subject_id = "carol"}).empty());

  auto none =
      this->run(this->store_->delete_user_sessions({.subject_id = "bob", .session_id = "s1"}));
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0u);
  auto both =
      this->run(this->store_->delete_user_sessions({.subject_id = "alice", .session_id = "s1"}));
  ASSERT_TRUE(both);
  EXPECT_EQ(*both, 1u);
  auto by_sub = this->run(this->store_->delete_user_sessions({.subject_id = "alice"}));
  ASSERT_TRUE(by_sub);
  EXPECT_EQ(*by_sub, 1u);
  auto by_sid = this->run(this->store_->delete_user_sessions({.session_id = "s3"}));
  ASSERT_TRUE(by_sid);
  EXPECT_EQ(*by_sid, 1u);
  EXPECT_EQ(this->get("a1"), std::nullopt);
  EXPECT_EQ(this->get("a2"), std::nullopt);
  EXPECT_EQ(this->get("b1"), std::nullopt);
}

TYPED_TEST_P(UserSessionStoreConformance, PartitionsNeverSeeOrDeleteEachOther) {
  auto other = this->open("other-app");
  auto mine = this->session("shared-key", "alice", "sid");
  auto theirs = this->session("shared-key", "alice", "sid");
  theirs.ticket = "theirs";
  theirs.expires = this->clock_.now() - std::chrono::seconds(1);
  ASSERT_FALSE(this->create(mine));
  ASSERT_FALSE(this->create(theirs, other.get()));
  EXPECT_EQ(this->get("shared-key")->ticket, mine.ticket);
  EXPECT_EQ(this->get("shared-key", other.get())->ticket, "theirs");
  EXPECT_EQ(this->get("shared-key", other.get())->partition_key, "other-app");

  // A session naming a foreign partition is refused.
  auto foreign = this->session("x");
  foreign.partition_key = "other-app";
  EXPECT_EQ(this->create(foreign), StoreErrc::invalid_argument);

  // Cleanup, delete and delete-by-filter stay in their partition.
  auto removed = this->run(this->cleanup().delete_expired_sessions({}));
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 0u);
  ASSERT_TRUE(this->run(other->delete_user_sessions({.subject_id = "alice"})));
  EXPECT_TRUE(this->get("shared-key"));
  ASSERT_TRUE(this->create(theirs, other.get()) == boost::system::error_code{});
  ASSERT_TRUE(this->run(this->store_->delete_user_session("shared-key")));
  EXPECT_TRUE(this->get("shared-key", other.get()));
  EXPECT_EQ(this->query({.session_id = "sid"}, other.get()),
            std::vector<std::string>{"shared-key"});
  EXPECT_TRUE(this->query({.session_id = "sid"}).empty());
}

TYPED_TEST_P(UserSessionStoreConformance, BadArgumentsAreTypedErrors) {
  auto expect_invalid = [&](UserSession s) {
    EXPECT_EQ(this->create(s), StoreErrc::invalid_argument) << s.key.size();
  };
  expect_invalid(this->session(""));
  expect_invalid(this->session(std::string(UserSessionLimits::max_key + 1, 'k')));
  expect_invalid(this->session("k", ""));
  expect_invalid(this->session("k", std::string(UserSessionLimits::max_subject_id + 1, 's')));
  auto empty_sid = this->session("k");
  empty_sid.session_id = "";
  expect_invalid(empty_sid);
  auto huge = this->session("k");
  huge.ticket.assign(UserSessionLimits::max_ticket + 1, 'x');
  expect_invalid(huge);
  EXPECT_EQ(this->get("k"), std::nullopt);

  auto g = this->run(this->store_->get_user_session(""));
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error(), StoreErrc::invalid_argument);
  auto d = this->run(this->store_->delete_user_session(std::string(300, 'k')));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), StoreErrc::invalid_argument);
  UserSessionUpdate u{"", std::nullopt, {}, {}, std::nullopt, ""};
  auto up = this->run(this->store_->update_user_session("k", u));
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error(), StoreErrc::invalid_argument);
  // The maximum sizes themselves are fine.
  EXPECT_FALSE(this->create(this->session(std::string(UserSessionLimits::max_key, 'k'), "a", "s")));
}

// Runs `operation()` in a coroutine whose cancellation was requested just before the store is
// called, and returns its error (success is a failure of the test).
template <class Fixture, class Operation>
boost::system::error_code cancelled_before_start(Fixture& f, Operation operation) {
  boost::asio::cancellation_signal signal;
  std::optional<boost::system::error_code> outcome;
  boost::asio::co_spawn(
      f.io_,
      [&]() -> boost::asio::awaitable<void> {
        // Report cancellation as a value instead of Asio's default exception at the co_await.
        co_await boost::asio::this_coro::throw_if_cancelled(false);
        signal.emit(boost::asio::cancellation_type::terminal);  // before the store is called
        auto r = co_await operation();
        outcome = r ? boost::system::error_code{} : r.error();
      },
      boost::asio::bind_cancellation_slot(signal.slot(), boost::asio::detached));
  f.io_.restart();
  f.io_.run();
  f.io_.restart();
  EXPECT_TRUE(outcome) << "the operation never completed";
  return outcome.value_or(boost::system::error_code{});
}

// Every operation honours a cancellation that arrived before it started: `cancelled`, and the
// store is unchanged.
TYPED_TEST_P(UserSessionStoreConformance, CancelledBeforeStartDoesNothing) {
  auto& store = *this->store_;
  auto kept = this->session("kept");
  kept.expires = this->clock_.now() - std::chrono::seconds(1);  // expired: cleanup would take it
  ASSERT_FALSE(this->create(kept));
  const auto cancelled = make_error_code(StoreErrc::cancelled);
  EXPECT_EQ(
      cancelled_before_start(*this, [&] { return store.create_user_session(this->session("k")); }),
      cancelled);
  EXPECT_EQ(cancelled_before_start(*this, [&] { return store.get_user_session("kept"); }),
            cancelled);
  UserSessionUpdate u{"mallory", std::nullopt, {}, {}, std::nullopt, "changed"};
  EXPECT_EQ(cancelled_before_start(*this, [&] { return store.update_user_session("kept", u); }),
            cancelled);
  EXPECT_EQ(cancelled_before_start(*this, [&] { return store.delete_user_session("kept"); }),
            cancelled);
  const UserSessionsFilter by_subject{.subject_id = "alice"};
  EXPECT_EQ(cancelled_before_start(*this, [&] { return store.get_user_sessions(by_subject); }),
            cancelled);
  EXPECT_EQ(cancelled_before_start(*this, [&] { return store.delete_user_sessions(by_subject); }),
            cancelled);
  auto& cleanup = this->cleanup();
  EXPECT_EQ(cancelled_before_start(*this, [&] { return cleanup.delete_expired_sessions({}); }),
            cancelled);
  EXPECT_EQ(this->get("k"), std::nullopt);
  auto got = this->get("kept");
  ASSERT_TRUE(got) << "nothing deleted";
  EXPECT_EQ(got->subject_id, "alice") << "nothing updated";
  EXPECT_EQ(got->ticket, kept.ticket);
}

// Spawns a create of "c<i>" for every i, each with its own cancellation signal.
template <class Fixture>
void spawn_creates(Fixture& f, std::vector<boost::asio::cancellation_signal>& signals,
                   std::vector<std::optional<StoreResult<void>>>& results) {
  for (std::size_t i = 0; i < signals.size(); ++i) {
    boost::asio::co_spawn(
        f.io_,
        [&f, i, &results]() -> boost::asio::awaitable<void> {
          co_await boost::asio::this_coro::throw_if_cancelled(false);
          results[i] = co_await f.store_->create_user_session(f.session("c" + std::to_string(i)));
        },
        boost::asio::bind_cancellation_slot(signals[i].slot(), boost::asio::detached));
  }
}

// Cancelled after the operations started. A store that queues work (Traits::hold_writes keeps
// its writes waiting) must drop every cancelled create still waiting, and nothing else; a store
// that completes inline has finished every create before the cancellation, which then changes
// nothing.
TYPED_TEST_P(UserSessionStoreConformance, CancellationInFlightLeavesStoreConsistent) {
  constexpr std::size_t n = 64;
  std::vector<boost::asio::cancellation_signal> signals(n);
  std::vector<std::optional<StoreResult<void>>> results(n);
  std::shared_ptr<void> hold;
  if constexpr (requires(TypeParam & t) { t.hold_writes(); }) hold = this->traits_.hold_writes();
  const bool queued = hold != nullptr;
  spawn_creates(*this, signals, results);
  this->io_.poll();  // every create has reached the store
  for (std::size_t i = 0; i < n; ++i)
    EXPECT_EQ(results[i].has_value(), !queued) << i << (queued ? ": held, yet it finished" : "");
  for (std::size_t i = 0; i < n; i += 2) signals[i].emit(boost::asio::cancellation_type::terminal);
  this->io_.poll();  // delivers the cancellations (posted to the io_context) while still held
  hold.reset();
  this->io_.run();
  this->io_.restart();
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(results[i]) << i;
    const bool created = this->get("c" + std::to_string(i)).has_value();
    if (queued && i % 2 == 0) {
      ASSERT_FALSE(*results[i]) << i << ": cancelled while it waited, yet it took effect";
      EXPECT_EQ(results[i]->error(), StoreErrc::cancelled) << i;
      EXPECT_FALSE(created) << i;
    } else {
      EXPECT_TRUE(*results[i]) << i << ": " << results[i]->error().message();
      EXPECT_TRUE(created) << i;
    }
  }
}

TYPED_TEST_P(UserSessionStoreConformance, ConcurrentWritersFromSeveralThreadsStayConsistent) {
  constexpr int threads = 4, per_thread = 50;
  boost::asio::thread_pool pool(threads);
  std::mutex m;
  std::vector<boost::system::error_code> failures;
  std::latch finished(threads * per_thread);
  auto store = this->store_;
  auto now = this->clock_.now();
  // Every key is created, updated twice, and every third one deleted; two writers race to create
  // each "contested" key and exactly one may win.
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per_thread; ++i) {
      boost::asio::co_spawn(
          pool,
          [store, t, i, now, &m, &failures, &finished]() -> boost::asio::awaitable<void> {
            const auto key = "t" + std::to_string(t) + "-" + std::to_string(i);
            auto fail = [&](boost::system::error_code ec) {
              std::lock_guard lock(m);
              failures.push_back(ec);
            };
            auto s = make_session(key, "user" + std::to_string(i % 7), "sid-" + key, now);
            if (auto r = co_await store->create_user_session(s); !r) fail(r.error());
            for (int round = 0; round < 2; ++round) {
              UserSessionUpdate u{s.subject_id, s.session_id, now,
                                  now,          s.expires,    "round" + std::to_string(round)};
              if (auto r = co_await store->update_user_session(key, u); !r) fail(r.error());
            }
            if (i % 3 == 0)
              if (auto r = co_await store->delete_user_session(key); !r) fail(r.error());
            auto contested = make_session("contested-" + std::to_string(i), "x", std::nullopt, now);
            contested.session_id.reset();
            contested.ticket = std::to_string(t);
            auto r = co_await store->create_user_session(contested);
            if (!r && r.error() != StoreErrc::conflict) fail(r.error());
            finished.count_down();
          },
          boost::asio::detached);
    }
  }
  finished.wait();
  pool.join();
  for (auto& ec : failures) ADD_FAILURE() << ec.message();
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per_thread; ++i) {
      auto got = this->get("t" + std::to_string(t) + "-" + std::to_string(i));
      if (i % 3 == 0) {
        EXPECT_EQ(got, std::nullopt);
      } else {
        ASSERT_TRUE(got);
        EXPECT_EQ(got->ticket, "round1");
      }
    }
  }
  std::size_t total = 0;
  for (int u = 0; u < 7; ++u)
    total += this->query({.subject_id = "user" + std::to_string(u)}).size();
  EXPECT_EQ(total, static_cast<std::size_t>(threads * (per_thread - (per_thread + 2) / 3)));
  EXPECT_EQ(this->query({.subject_id = "x"}).size(), static_cast<std::size_t>(per_thread));
}

REGISTER_TYPED_TEST_SUITE_P(
    UserSessionStoreConformance, GetOfUnknownKeyIsEmpty, CreatedSessionRoundTripsEveryField,
    LargeTicketAndNonAsciiSubjectRoundTrip, CreateOfExistingKeyConflictsAndKeepsOriginal,
    SessionIdIsUniqueWithinPartition, UpdateReplacesEveryMutableField,
    VersionStartsAtOneAndCountsEveryUpdate, ConditionalUpdateNeedsTheStoredVersion,
    ConcurrentConditionalUpdatesHaveOneWinner, UpdateOfMissingKeyCreatesNothing,
    UpdateToAnotherSessionsSidConflicts, DeleteRemovesAndMissingKeyIsFine,
    FilterNeedsSubjectOrSessionId, FilterBySubjectSessionIdAndBoth,
    PartitionsNeverSeeOrDeleteEachOther, BadArgumentsAreTypedErrors,
    CancelledBeforeStartDoesNothing, CancellationInFlightLeavesStoreConsistent,
    ConcurrentWritersFromSeveralThreadsStayConsistent);

}  // namespace gatehouse::testing
