#include <gatehouse/bff_builder.hpp>
#include <gatehouse/stores/memory_user_session_store.hpp>
#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace gatehouse::testing {
namespace {

// A store built from arguments alone (no context), with no cleanup.
class ArgsOnlyStore : public UserSessionStore {
 public:
  ArgsOnlyStore(std::string tag, int n) : tag_(std::move(tag)), n_(n) {}
  std::string tag_;
  int n_;
  boost::asio::awaitable<StoreResult<std::optional<UserSession>>> get_user_session(
      std::string) override {
    co_return std::optional<UserSession>{};
  }
  boost::asio::awaitable<StoreResult<void>> create_user_session(UserSession) override {
    co_return StoreErrc::unavailable;
  }
  boost::asio::awaitable<StoreResult<void>> update_user_session(std::string,
                                                                UserSessionUpdate) override {
    co_return StoreErrc::unavailable;
  }
  boost::asio::awaitable<StoreResult<void>> delete_user_session(std::string) override {
    co_return StoreErrc::unavailable;
  }
  boost::asio::awaitable<StoreResult<std::vector<UserSession>>> get_user_sessions(
      UserSessionsFilter) override {
    co_return StoreErrc::unavailable;
  }
  boost::asio::awaitable<StoreResult<std::size_t>> delete_user_sessions(
      UserSessionsFilter) override {
    co_return StoreErrc::unavailable;
  }
};

TEST(BffBuilder, BuildsTheDefaultSqliteStoreWithPartitionAndClock) {
  TempDir dir;
  ManualClock clock;
  BffBuilder builder;
  builder.partition("shop")
      .clock(clock.clock())
      .add_server_side_sessions<SqliteUserSessionStore>(dir.file("s.db"));
  auto services = builder.build();
  ASSERT_TRUE(std::dynamic_pointer_cast<SqliteUserSessionStore>(services.store));
  ASSERT_TRUE(services.cleanup);
  ASSERT_TRUE(services.listing);
  EXPECT_EQ(services.context.partition, "shop");
  boost::asio::io_context io;
  UserSession s{.key = "k", .subject_id = "a", .expires = clock.now()};
  ASSERT_TRUE(run(io, services.store->create_user_session(s)));
  EXPECT_EQ((*run(io, services.store->get_user_session("k")))->partition_key, "shop");
  clock.advance(std::chrono::milliseconds(1));  // the builder's clock reaches the store
  EXPECT_EQ(*run(io, services.cleanup->delete_expired_sessions({})), 1u);
}

TEST(BffBuilder, StoreForAnotherPartitionSharesTheEngineNotTheSessions) {
  TempDir dir;
  BffBuilder builder;
  builder.partition("shop").add_server_side_sessions<SqliteUserSessionStore>(dir.file("s.db"));
  auto services = builder.build();
  auto other = services.store_for_partition("shop/logout-jti");
  auto sqlite_other = std::dynamic_pointer_cast<SqliteUserSessionStore>(other);
  ASSERT_TRUE(sqlite_other);
  EXPECT_EQ(sqlite_other->database(),
            std::dynamic_pointer_cast<SqliteUserSessionStore>(services.store)->database())
      << "one writer per database file";
  boost::asio::io_context io;
  UserSession s{.key = "k", .subject_id = "a"};
  ASSERT_TRUE(run(io, services.store->create_user_session(s)));
  EXPECT_FALSE(*run(io, other->get_user_session("k")));
  ASSERT_TRUE(run(io, other->create_user_session(s))) << "same key, other partition";
  EXPECT_EQ((*run(io, other->get_user_session("k")))->partition_key, "shop/logout-jti");
  EXPECT_EQ((*run(io, services.store->get_user_session("k")))->partition_key, "shop");
}

TEST(BffBuilder, RegistersAStoreOfTheApplicationsOwn) {
  BffBuilder builder;
  builder.add_server_side_sessions<ArgsOnlyStore>("mine", 3);
  auto services = builder.build();
  auto* store = dynamic_cast<ArgsOnlyStore*>(services.store.get());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->tag_, "mine");
  EXPECT_EQ(store->n_, 3);
  EXPECT_EQ(services.cleanup, nullptr);
  EXPECT_EQ(services.listing, nullptr);
  // Without UserSessionStorePartitions another partition is another instance from the same
  // arguments.
  auto other = std::dynamic_pointer_cast<ArgsOnlyStore>(services.store_for_partition("x"));
  ASSERT_TRUE(other);
  EXPECT_NE(other.get(), store);
  EXPECT_EQ(other->tag_, "mine");
}

// A store that takes the context and cannot serve other partitions from itself.
class ContextStore : public ArgsOnlyStore {
 public:
  explicit ContextStore(const UserSessionStoreContext& context)
      : ArgsOnlyStore(context.partition, 0) {}
};

TEST(BffBuilder, StoreForAnotherPartitionOfAPlainStoreIsBuiltWithThatPartition) {
  BffBuilder builder;
  builder.partition("shop").add_server_side_sessions<ContextStore>();
  auto services = builder.build();
  auto other = std::dynamic_pointer_cast<ContextStore>(services.store_for_partition("shop/jti"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->tag_, "shop/jti");
}

TEST(BffBuilder, InMemoryStoreGetsTheContext) {
  BffBuilder builder;
  builder.partition("p").add_server_side_sessions<InMemoryUserSessionStore>();
  auto services = builder.build();
  ASSERT_TRUE(std::dynamic_pointer_cast<InMemoryUserSessionStore>(services.store));
  boost::asio::io_context io;
  UserSession s{.key = "k", .subject_id = "a"};
  ASSERT_TRUE(run(io, services.store->create_user_session(s)));
  EXPECT_EQ((*run(io, services.store->get_user_session("k")))->partition_key, "p");
}

TEST(BffBuilder, TheShippedStoresRegisterByName) {
  TempDir dir;
  BffBuilder builder;
  builder.partition("p").add_server_side_sessions(dir.file("named.db"));
  auto services = builder.build();
  ASSERT_TRUE(std::dynamic_pointer_cast<SqliteUserSessionStore>(services.store));
}

TEST(BffBuilder, WithoutAStoreBuildFails) {
  EXPECT_THROW(BffBuilder{}.build(), std::logic_error);
}

TEST(BffBuilder, OpenErrorsOfTheDefaultStoreReachTheCaller) {
  TempDir dir;
  BffBuilder builder;
  builder.add_server_side_sessions<SqliteUserSessionStore>(dir.file("no/such/dir/s.db"));
  EXPECT_THROW(builder.build(), StoreOpenError);
}

}  // namespace
}  // namespace gatehouse::testing
