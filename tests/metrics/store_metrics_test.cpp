// The metered store decorator: it forwards every operation, keeps exactly the wrapped store's
// abilities, times operations and counts failures by their StoreErrc name.
#include "metrics/store_metrics.hpp"

#include <gatehouse/stores/memory_user_session_store.hpp>

#include "run.hpp"

#include <gtest/gtest.h>

namespace gatehouse::metrics {
namespace {

using gatehouse::testing::run;

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

UserSession session(std::string key) {
  UserSession s;
  s.key = std::move(key);
  s.subject_id = "alice";
  s.created = s.renewed = Timestamp(std::chrono::milliseconds(1'000));
  s.expires = Timestamp(std::chrono::milliseconds(2'000));
  s.ticket = "sealed";
  return s;
}

// Only the six operations: no cleanup, listing or partitions.
class BareStore final : public UserSessionStore {
 public:
  boost::asio::awaitable<StoreResult<std::optional<UserSession>>> get_user_session(
      std::string) override {
    co_return make_error_code(StoreErrc::unavailable);
  }
  boost::asio::awaitable<StoreResult<void>> create_user_session(UserSession) override {
    co_return StoreResult<void>{};
  }
  boost::asio::awaitable<StoreResult<void>> update_user_session(std::string,
                                                                UserSessionUpdate) override {
    co_return make_error_code(StoreErrc::not_found);
  }
  boost::asio::awaitable<StoreResult<void>> delete_user_session(std::string) override {
    co_return StoreResult<void>{};
  }
  boost::asio::awaitable<StoreResult<std::vector<UserSession>>> get_user_sessions(
      UserSessionsFilter) override {
    co_return std::vector<UserSession>{};
  }
  boost::asio::awaitable<StoreResult<std::size_t>> delete_user_sessions(
      UserSessionsFilter) override {
    co_return std::size_t{0};
  }
};

TEST(StoreMetrics, KeepsExactlyTheWrappedAbilities) {
  Registry r;
  auto memory =
      instrument_store(std::make_shared<InMemoryUserSessionStore>(), {.store = "memory"}, r);
  EXPECT_TRUE(std::dynamic_pointer_cast<UserSessionStoreCleanup>(memory));
  EXPECT_TRUE(std::dynamic_pointer_cast<UserSessionStoreListing>(memory));
  EXPECT_TRUE(std::dynamic_pointer_cast<UserSessionStorePartitions>(memory));
  auto bare = instrument_store(std::make_shared<BareStore>(), {.store = "custom"}, r);
  EXPECT_FALSE(std::dynamic_pointer_cast<UserSessionStoreCleanup>(bare));
  EXPECT_FALSE(std::dynamic_pointer_cast<UserSessionStoreListing>(bare));
  EXPECT_FALSE(std::dynamic_pointer_cast<UserSessionStorePartitions>(bare));
  EXPECT_EQ(instrument_store(nullptr, {}, r), nullptr);
}

TEST(StoreMetrics, ForwardsTimesAndCountsErrors) {
  Registry r;
  boost::asio::io_context io;
  testing::ManualClock clock(Timestamp(std::chrono::milliseconds(5'000)));
  auto inner = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "p", .clock = clock.clock()});
  auto store = instrument_store(inner, {.store = "memory", .count_cleanup = true}, r);
  ASSERT_TRUE(run(io, store->create_user_session(session("k1"))));
  auto again = run(io, store->create_user_session(session("k1")));
  EXPECT_EQ(again.error(), StoreErrc::conflict);
  auto got = run(io, inner->get_user_session("k1"));  // really stored in the wrapped store
  ASSERT_TRUE(got && *got);
  auto cleanup = std::dynamic_pointer_cast<UserSessionStoreCleanup>(store);
  ASSERT_TRUE(cleanup);
  auto removed = run(io, cleanup->delete_expired_sessions({}));
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 1u);
  const auto text = r.render();
  EXPECT_TRUE(contains(
      text, "gatehouse_store_operation_duration_seconds_count{store=\"memory\",op=\"create\"} 2\n"))
      << text;
  EXPECT_TRUE(contains(
      text, "gatehouse_store_errors_total{store=\"memory\",op=\"create\",error=\"conflict\"} 1\n"))
      << text;
  EXPECT_TRUE(contains(text, "gatehouse_cleanup_deleted_total 1\n")) << text;

  // A partition opened through it is metered too, and its cleanup is not the sessions' cleanup.
  auto partitions = std::dynamic_pointer_cast<UserSessionStorePartitions>(store);
  ASSERT_TRUE(partitions);
  auto other = partitions->open_partition("p.leases");
  ASSERT_TRUE(run(io, other->create_user_session(session("k2"))));
  ASSERT_TRUE(run(
      io, std::dynamic_pointer_cast<UserSessionStoreCleanup>(other)->delete_expired_sessions({})));
  const auto after = r.render();
  EXPECT_TRUE(contains(
      after,
      "gatehouse_store_operation_duration_seconds_count{store=\"memory\",op=\"create\"} 3\n"))
      << after;
  EXPECT_TRUE(contains(after, "gatehouse_cleanup_deleted_total 1\n")) << after;
}

TEST(StoreMetrics, ErrorNames) {
  Registry r;
  boost::asio::io_context io;
  auto store = instrument_store(std::make_shared<BareStore>(), {.store = "custom"}, r);
  EXPECT_FALSE(run(io, store->get_user_session("k")));
  EXPECT_FALSE(run(io, store->update_user_session("k", {})));
  const auto text = r.render();
  EXPECT_TRUE(contains(
      text, "gatehouse_store_errors_total{store=\"custom\",op=\"get\",error=\"unavailable\"} 1\n"))
      << text;
  EXPECT_TRUE(contains(
      text, "gatehouse_store_errors_total{store=\"custom\",op=\"update\",error=\"not_found\"} 1\n"))
      << text;
}

}  // namespace
}  // namespace gatehouse::metrics
