#include <gatehouse/stores/memory_user_session_store.hpp>

#include "conformance/user_session_cleanup_conformance.hpp"
#include "conformance/user_session_listing_conformance.hpp"
#include "conformance/user_session_partitions_conformance.hpp"
#include "conformance/user_session_store_conformance.hpp"

namespace gatehouse::testing {
namespace {

struct MemoryTraits {
  std::shared_ptr<InMemorySessionDatabase> database = make_in_memory_session_database();

  std::shared_ptr<UserSessionStore> open(const UserSessionStoreContext& context) {
    return std::make_shared<InMemoryUserSessionStore>(
        InMemoryUserSessionStoreOptions{context.partition, context.clock, database});
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Memory, UserSessionStoreConformance, ::testing::Types<MemoryTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, UserSessionStoreCleanupConformance,
                               ::testing::Types<MemoryTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, UserSessionStoreListingConformance,
                               ::testing::Types<MemoryTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, UserSessionStorePartitionsConformance,
                               ::testing::Types<MemoryTraits>);

TEST(InMemoryUserSessionStore, RejectsOversizedPartition) {
  EXPECT_THROW(
      InMemoryUserSessionStore(InMemoryUserSessionStoreOptions{.partition = std::string(201, 'p')}),
      std::invalid_argument);
}

}  // namespace
}  // namespace gatehouse::testing
