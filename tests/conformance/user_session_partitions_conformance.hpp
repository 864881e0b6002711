// Conformance of UserSessionStorePartitions: open_partition() serves another partition of the
// same database through the same engine. Traits as in store_fixture.hpp:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, UserSessionStorePartitionsConformance, Types<MyTraits>);
#pragma once

#include "conformance/store_fixture.hpp"

namespace gatehouse::testing {

template <class Traits>
class UserSessionStorePartitionsConformance : public StoreFixture<Traits> {
 public:
  std::shared_ptr<UserSessionStore> view(std::string partition) {
    auto* p = dynamic_cast<UserSessionStorePartitions*>(this->store_.get());
    if (!p) throw std::logic_error("store does not implement UserSessionStorePartitions");
    return p->open_partition(std::move(partition));
  }
};

TYPED_TEST_SUITE_P(UserSessionStorePartitionsConformance);

TYPED_TEST_P(UserSessionStorePartitionsConformance, AViewSharesTheDatabaseNotTheSessions) {
  auto replay = this->view("app/replay");
  ASSERT_TRUE(replay);
  auto mine = this->session("same-key", "alice", "sid");
  auto theirs = this->session("same-key", "bob", "sid");
  ASSERT_FALSE(this->create(mine));
  ASSERT_FALSE(this->create(theirs, replay.get())) << "same key and sid, other partition";
  EXPECT_EQ(this->get("same-key")->subject_id, "alice");
  EXPECT_EQ(this->get("same-key", replay.get())->subject_id, "bob");
  EXPECT_EQ(this->get("same-key", replay.get())->partition_key, "app/replay");
  // The same database: a store opened on it the usual way sees what the view wrote.
  auto opened = this->open("app/replay");
  EXPECT_EQ(this->get("same-key", opened.get())->subject_id, "bob");
  ASSERT_TRUE(this->run(replay->delete_user_sessions({.subject_id = "bob"})));
  EXPECT_EQ(this->get("same-key", opened.get()), std::nullopt);
  EXPECT_TRUE(this->get("same-key"));
}

TYPED_TEST_P(UserSessionStorePartitionsConformance, AViewHasTheStoresAbilities) {
  auto other = this->view("app/other");
  EXPECT_EQ(dynamic_cast<UserSessionStoreCleanup*>(other.get()) != nullptr,
            dynamic_cast<UserSessionStoreCleanup*>(this->store_.get()) != nullptr);
  EXPECT_EQ(dynamic_cast<UserSessionStoreListing*>(other.get()) != nullptr,
            dynamic_cast<UserSessionStoreListing*>(this->store_.get()) != nullptr);
  EXPECT_NE(dynamic_cast<UserSessionStorePartitions*>(other.get()), nullptr);
  // The view expires by the store's clock.
  auto s = this->session("k");
  s.expires = this->clock_.now() + std::chrono::seconds(1);
  ASSERT_FALSE(this->create(s, other.get()));
  this->clock_.advance(std::chrono::seconds(2));
  auto removed = this->run(this->cleanup(other.get()).delete_expired_sessions({}));
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 1u);
}

TYPED_TEST_P(UserSessionStorePartitionsConformance, AViewOutlivesTheStoreItCameFrom) {
  auto other = this->view("app/other");
  ASSERT_FALSE(this->create(this->session("k")));
  this->store_.reset();
  ASSERT_FALSE(this->create(this->session("k2"), other.get()));
  EXPECT_TRUE(this->get("k2", other.get()));
  this->store_ = this->open("app");
  EXPECT_TRUE(this->get("k"));
}

TYPED_TEST_P(UserSessionStorePartitionsConformance, AnOversizedPartitionIsRefused) {
  EXPECT_ANY_THROW(this->view(std::string(UserSessionLimits::max_partition_key + 1, 'p')));
  EXPECT_TRUE(this->view(std::string(UserSessionLimits::max_partition_key, 'p')));
}

REGISTER_TYPED_TEST_SUITE_P(UserSessionStorePartitionsConformance,
                            AViewSharesTheDatabaseNotTheSessions, AViewHasTheStoresAbilities,
                            AViewOutlivesTheStoreItCameFrom, AnOversizedPartitionIsRefused);

}  // namespace gatehouse::testing
