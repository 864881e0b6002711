// Conformance of UserSessionStoreCleanup: delete-expired removes exactly `expires < now`, in
// batches, and when asked names each session it removed (DeleteExpiredOptions::on_removed): all
// of them, only them, once each, batch by batch on the caller's executor, adding up to the count.
// Every store with a cleanup passes it (Traits as in store_fixture.hpp):
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, UserSessionStoreCleanupConformance, Types<MyTraits>);
#pragma once

#include "conformance/store_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <map>
#include <span>

namespace gatehouse::testing {

template <class Traits>
class UserSessionStoreCleanupConformance : public StoreFixture<Traits> {
 public:
  // Creates a session of `subject` expiring at `expires` (no sid when `sid` is empty).
  UserSession add(std::string key, std::string subject, std::string sid,
                  std::optional<Timestamp> expires, UserSessionStore* s = nullptr) {
    auto session = this->session(std::move(key), std::move(subject));
    if (sid.empty())
      session.session_id.reset();
    else
      session.session_id = std::move(sid);
    session.expires = expires;
    EXPECT_FALSE(this->create(session, s)) << session.key;
    return session;
  }

  // What on_removed was told, batch by batch, and on which thread.
  struct Told {
    std::vector<std::vector<ExpiredSession>> batches;
    bool on_callers_executor = true;

    std::map<std::string, ExpiredSession> by_key() const {
      std::map<std::string, ExpiredSession> out;
      for (const auto& batch : batches)
        for (const auto& s : batch) EXPECT_TRUE(out.emplace(s.key, s).second) << "twice: " << s.key;
      return out;
    }
    std::size_t total() const {
      std::size_t n = 0;
      for (const auto& batch : batches) n += batch.size();
      return n;
    }
  };

  DeleteExpiredOptions reporting(Told& told, std::size_t batch_size) {
    DeleteExpiredOptions options{.batch_size = batch_size};
    options.on_removed = [this, &told](std::span<const ExpiredSession> removed) {
      told.batches.emplace_back(removed.begin(), removed.end());
      if (!this->io_.get_executor().running_in_this_thread()) told.on_callers_executor = false;
    };
    return options;
  }
};

TYPED_TEST_SUITE_P(UserSessionStoreCleanupConformance);

TYPED_TEST_P(UserSessionStoreCleanupConformance, DeleteExpiredRemovesExactlyThePast) {
  const auto now = this->clock_.now();
  auto at = [&](std::string key, std::optional<Timestamp> expires) {
    this->add(key, "alice", "sid-" + key, expires);
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

// Expired seconds ago: a store may drop a session's record itself some time after its expiry
// (Redis: 5 minutes), and what it reports of such a session is less (no sid).
TYPED_TEST_P(UserSessionStoreCleanupConformance, ReportsExactlyTheSessionsItRemoved) {
  const auto now = this->clock_.now();
  auto other = this->open("other-app");
  std::map<std::string, UserSession> expired;
  for (int i = 0; i < 10; ++i) {
    const auto key = "gone-" + std::to_string(i);
    // Every third one without a sid; subjects repeat, as a user's sessions do.
    auto s = this->add(key, "user-" + std::to_string(i % 4), i % 3 == 0 ? "" : "sid-" + key,
                       now - std::chrono::seconds(i + 1));
    expired.emplace(key, std::move(s));
  }
  this->add("exactly-now", "kept", "sid-now", now);
  this->add("future", "kept", "sid-future", now + std::chrono::seconds(1));
  this->add("never", "kept", "sid-never", std::nullopt);
  this->add("theirs", "user-0", "sid-theirs", now - std::chrono::seconds(1), other.get());

  typename TestFixture::Told told;
  auto removed = this->run(this->cleanup().delete_expired_sessions(this->reporting(told, 3)));
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(*removed, 10u);
  EXPECT_EQ(told.total(), *removed) << "what is reported adds up to the count";
  EXPECT_GT(told.batches.size(), 1u) << "batches of 3: several reports";
  for (const auto& batch : told.batches) {
    EXPECT_FALSE(batch.empty()) << "a batch that removed nothing is not reported";
    EXPECT_LE(batch.size(), 3u) << "at most one batch per report";
  }
  EXPECT_TRUE(told.on_callers_executor) << "on_removed runs on the awaiting coroutine's executor";
  const auto reported = told.by_key();
  ASSERT_EQ(reported.size(), expired.size());
  for (const auto& [key, s] : expired) {
    auto it = reported.find(key);
    ASSERT_NE(it, reported.end()) << key << " was removed but not reported";
    EXPECT_EQ(it->second, (ExpiredSession{s.key, s.subject_id, s.session_id, s.expires})) << key;
    EXPECT_EQ(this->get(key), std::nullopt) << key;
  }
  EXPECT_TRUE(this->get("exactly-now"));
  EXPECT_TRUE(this->get("future"));
  EXPECT_TRUE(this->get("never"));
  EXPECT_TRUE(this->get("theirs", other.get())) << "another partition's cleanup is its own";
}

TYPED_TEST_P(UserSessionStoreCleanupConformance, ReportsNothingWhenNothingExpired) {
  typename TestFixture::Told told;
  auto removed = this->run(this->cleanup().delete_expired_sessions(this->reporting(told, 2)));
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(*removed, 0u);
  const auto now = this->clock_.now();
  this->add("exactly-now", "alice", "sid-now", now);
  this->add("future", "alice", "sid-future", now + std::chrono::hours(1));
  this->add("never", "alice", "", std::nullopt);
  removed = this->run(this->cleanup().delete_expired_sessions(this->reporting(told, 2)));
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(*removed, 0u);
  EXPECT_TRUE(told.batches.empty()) << "nothing removed, nothing reported";
}

// Cancelled from the report of the first batch (between batches): the cleanup stops with what it
// removed, and exactly that was reported. Cancelled before it starts: nothing removed or reported.
TYPED_TEST_P(UserSessionStoreCleanupConformance, CancelledCleanupReportsWhatItRemoved) {
  const auto now = this->clock_.now();
  for (int i = 0; i < 10; ++i)
    this->add("gone-" + std::to_string(i), "alice", "", now - std::chrono::seconds(i + 1));
  auto cleanup_cancelled = [&](bool at_start, typename TestFixture::Told& told) {
    boost::asio::cancellation_signal signal;
    auto options = this->reporting(told, 3);
    options.on_removed =
        [&, report = std::move(options.on_removed)](std::span<const ExpiredSession> removed) {
          report(removed);
          signal.emit(boost::asio::cancellation_type::terminal);
        };
    std::optional<StoreResult<std::size_t>> outcome;
    boost::asio::co_spawn(
        this->io_,
        [&]() -> boost::asio::awaitable<void> {
          co_await boost::asio::this_coro::throw_if_cancelled(false);
          if (at_start) signal.emit(boost::asio::cancellation_type::terminal);
          outcome = co_await this->cleanup().delete_expired_sessions(std::move(options));
        },
        boost::asio::bind_cancellation_slot(signal.slot(), boost::asio::detached));
    this->io_.restart();
    this->io_.run();
    this->io_.restart();
    EXPECT_TRUE(outcome) << "the cleanup never completed";
    return outcome.value_or(StoreResult<std::size_t>(make_error_code(StoreErrc::unavailable)));
  };

  typename TestFixture::Told before;
  auto at_start = cleanup_cancelled(true, before);
  ASSERT_FALSE(at_start);
  EXPECT_EQ(at_start.error(), StoreErrc::cancelled);
  EXPECT_TRUE(before.batches.empty());
  EXPECT_TRUE(this->get("gone-0")) << "nothing removed";

  typename TestFixture::Told told;
  auto removed = cleanup_cancelled(false, told);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_GE(*removed, 1u);
  EXPECT_EQ(told.total(), *removed);
  const auto reported = told.by_key();
  std::size_t left = 0;
  for (int i = 0; i < 10; ++i) {
    const auto key = "gone-" + std::to_string(i);
    const bool was_reported = reported.contains(key);
    EXPECT_EQ(this->get(key).has_value(), !was_reported) << key;
    if (!was_reported) ++left;
  }
  EXPECT_EQ(left, 10u - *removed) << "what was removed is exactly what was reported";
}

REGISTER_TYPED_TEST_SUITE_P(UserSessionStoreCleanupConformance, DeleteExpiredRemovesExactlyThePast,
                            ReportsExactlyTheSessionsItRemoved, ReportsNothingWhenNothingExpired,
                            CancelledCleanupReportsWhatItRemoved);

}  // namespace gatehouse::testing
