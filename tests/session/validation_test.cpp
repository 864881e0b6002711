#include <gatehouse/session/user_session_validation.hpp>

#include <gtest/gtest.h>

namespace gatehouse {
namespace {

TEST(StoreError, IsATypedCategoryWithMessages) {
  boost::system::error_code ec = StoreErrc::conflict;
  EXPECT_EQ(ec, StoreErrc::conflict);
  EXPECT_NE(ec, StoreErrc::not_found);
  EXPECT_STREQ(ec.category().name(), "gatehouse.store");
  EXPECT_EQ(ec.message(), "a user session with this key already exists");
}

TEST(Validation, FilterNeedsAnIdAndBoundedValues) {
  EXPECT_EQ(validate_filter({}), StoreErrc::invalid_argument);
  EXPECT_FALSE(validate_filter({.subject_id = "a"}));
  EXPECT_FALSE(validate_filter({.session_id = "s"}));
  EXPECT_FALSE(validate_filter({.subject_id = "a", .session_id = "s"}));
  EXPECT_EQ(validate_filter({.session_id = ""}), StoreErrc::invalid_argument);
  EXPECT_EQ(validate_filter({.subject_id = std::string(257, 'a')}), StoreErrc::invalid_argument);
}

TEST(Validation, NewSessionMustMatchThePartition) {
  UserSession s{.key = "k", .partition_key = "", .subject_id = "a"};
  EXPECT_FALSE(validate_new_session(s, "app"));
  s.partition_key = "app";
  EXPECT_FALSE(validate_new_session(s, "app"));
  s.partition_key = "other";
  EXPECT_EQ(validate_new_session(s, "app"), StoreErrc::invalid_argument);
}

TEST(Validation, PartitionKeyIsBounded) {
  EXPECT_FALSE(validate_partition_key(""));
  EXPECT_FALSE(validate_partition_key(std::string(200, 'p')));
  EXPECT_EQ(validate_partition_key(std::string(201, 'p')), StoreErrc::invalid_argument);
}

}  // namespace
}  // namespace gatehouse
