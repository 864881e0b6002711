// The one conformance suite every user session store passes. Instantiate it with a Traits type:
//
//   struct MyTraits {
//     // A store bound to context.partition on this Traits object's one database.
//     std::shared_ptr<gatehouse::UserSessionStore> open(const gatehouse::UserSessionStoreContext&);
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, UserSessionStoreConformance, ::testing::Types<MyTraits>);
//
// The store must also implement UserSessionStoreCleanup.
#pragma once

#include <gatehouse/session/user_session_store.hpp>
#include <gatehouse/session/user_session_validation.hpp>

#include "support/run.hpp"

#include <gtest/gtest.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace gatehouse::testing {

inline UserSession make_session(std::string key, std::string subject,
                                std::optional<std::string> sid, Timestamp now) {
  UserSession s;
  s.key = std::move(key);
  s.subject_id = std::move(subject);
  s.session_id = std::move(sid);
  s.created = now;
  s.renewed = now;
  s.expires = now + std::chrono::hours(1);
  s.ticket = "ticket-of-" + s.key;
  return s;
}

inline std::vector<std::string> keys_of(std::vector<UserSession> sessions) {
  std::vector<std::string> keys;
  for (auto& s : sessions) keys.push_back(s.key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

template <class Traits>
class UserSessionStoreConformance : public ::testing::Test {
 protected:
  std::shared_ptr<UserSessionStore> open(std::string partition) {
    return traits_.open(UserSessionStoreContext{std::move(partition), clock_.clock()});
  }

  template <class T>
  T run(boost::asio::awaitable<T> aw) {
    return testing::run(io_, std::move(aw));
  }

  std::optional<UserSession> get(const std::string& key, UserSessionStore* s = nullptr) {
    auto r = run((s ? s : store_.get())->get_user_session(key));
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r ? *r : std::nullopt;
  }

  boost::system::error_code create(const UserSession& session, UserSessionStore* s = nullptr) {
    auto r = run((s ? s : store_.get())->create_user_session(session));
    return r ? boost::system::error_code{} : r.error();
  }

  std::vector<std::string> query(UserSessionsFilter f, UserSessionStore* s = nullptr) {
    auto r = run((s ? s : store_.get())->get_user_sessions(std::move(f)));
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r ? keys_of(*r) : std::vector<std::string>{};
  }

  UserSessionStoreCleanup& cleanup(UserSessionStore* s = nullptr) {
    auto* c = dynamic_cast<UserSessionStoreCleanup*>(s ? s : store_.get());
    if (!c) throw std::logic_error("store does not implement UserSessionStoreCleanup");
    return *c;
  }

  UserSession session(std::string key, std::string subject = "alice",
                      std::optional<std::string> sid = std::nullopt) {
    if (!sid) sid = "sid-" + key;
    return make_session(std::move(key), std::move(subject), std::move(sid), clock_.now());
  }

  Traits traits_;
  ManualClock clock_;
  boost::asio::io_context io_;
  std::shared_ptr<UserSessionStore> store_ = open("app");
};

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

TYPED_TEST_P(UserSessionStoreConformance, DeleteExpiredRemovesExactlyThePast) {
  const auto now = this->clock_.now();
  auto at = [&](std::string key, std::optional<Timestamp> expires) {
    auto s = this->session(key);
    s.expires = expires;
    ASSERT_FALSE(this->create(s));
  };
  at("past", now - std::chrono::milliseconds(1));
  at("long-past", now - std::chrono::hours(24 * 365));
  at("exactly-now", now);
  at("future", now + std::chrono::milliseconds(1));
  at("never", std::nullopt);
  for (int i = 0; i < 25; ++i) at("batch-" + std::to_string(i), now - std::chrono::seconds(i + 1));

  auto removed = this->run(this->cleanup().delete_expired_sessions({.batch_size = 4}));
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(*removed, 27u);
  EXPECT_EQ(this->get("past"), std::nullopt);
  EXPECT_EQ(this->get("long-past"), std::nullopt);
  EXPECT_EQ(this->get("batch-24"), std::nullopt);
  EXPECT_TRUE(this->get("exactly-now"));
  EXPECT_TRUE(this->get("future"));
  EXPECT_TRUE(this->get("never"));

  this->clock_.advance(std::chrono::milliseconds(2));
  removed = this->run(this->cleanup().delete_expired_sessions({}));
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 2u);
  EXPECT_TRUE(this->get("never"));
  auto zero = this->run(this->cleanup().delete_expired_sessions({.batch_size = 0}));
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error(), StoreErrc::invalid_argument);
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

TYPED_TEST_P(UserSessionStoreConformance, CancelledBeforeStartDoesNothing) {
  boost::asio::cancellation_signal signal;
  std::optional<StoreResult<void>> result;
  boost::asio::co_spawn(
      this->io_,
      [&]() -> boost::asio::awaitable<void> {
        // Report cancellation as a value instead of Asio's default exception at the co_await.
        co_await boost::asio::this_coro::throw_if_cancelled(false);
        signal.emit(boost::asio::cancellation_type::terminal);  // before the store is called
        result = co_await this->store_->create_user_session(this->session("k"));
      },
      boost::asio::bind_cancellation_slot(signal.slot(), boost::asio::detached));
  this->io_.run();
  ASSERT_TRUE(result);
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error(), StoreErrc::cancelled);
  this->io_.restart();
  EXPECT_EQ(this->get("k"), std::nullopt);
}

TYPED_TEST_P(UserSessionStoreConformance, CancellationInFlightLeavesStoreConsistent) {
  constexpr int n = 64;
  std::vector<boost::asio::cancellation_signal> signals(n);
  std::vector<std::optional<StoreResult<void>>> results(n);
  for (int i = 0; i < n; ++i) {
    boost::asio::co_spawn(
        this->io_,
        [this, i, &results]() -> boost::asio::awaitable<void> {
          results[i] =
              co_await this->store_->create_user_session(this->session("c" + std::to_string(i)));
        },
        boost::asio::bind_cancellation_slot(signals[i].slot(), boost::asio::detached));
  }
  // Cancel every other operation after it has started (and perhaps finished) its work.
  this->io_.poll();
  for (int i = 0; i < n; i += 2) signals[i].emit(boost::asio::cancellation_type::terminal);
  this->io_.run();
  this->io_.restart();
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(results[i]) << i;
    const bool created = this->get("c" + std::to_string(i)).has_value();
    if (*results[i]) {
      EXPECT_TRUE(created) << i;
    } else {
      EXPECT_EQ(results[i]->error(), StoreErrc::cancelled) << i;
      EXPECT_FALSE(created) << i;
      EXPECT_TRUE(i % 2 == 0) << i;
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
    UpdateOfMissingKeyCreatesNothing, UpdateToAnotherSessionsSidConflicts,
    DeleteRemovesAndMissingKeyIsFine, FilterNeedsSubjectOrSessionId,
    FilterBySubjectSessionIdAndBoth, PartitionsNeverSeeOrDeleteEachOther,
    DeleteExpiredRemovesExactlyThePast, BadArgumentsAreTypedErrors, CancelledBeforeStartDoesNothing,
    CancellationInFlightLeavesStoreConsistent, ConcurrentWritersFromSeveralThreadsStayConsistent);

}  // namespace gatehouse::testing
