// The example store passes the same conformance suite as the built-in stores.
#include "map_user_session_store.hpp"

#include "conformance/user_session_cleanup_conformance.hpp"
#include "conformance/user_session_listing_conformance.hpp"
#include "conformance/user_session_store_conformance.hpp"

namespace {

struct MapTraits {
  std::shared_ptr<example::MapBackend> backend = std::make_shared<example::MapBackend>();

  std::shared_ptr<gatehouse::UserSessionStore> open(const gatehouse::UserSessionStoreContext& c) {
    return std::make_shared<example::MapUserSessionStore>(c, backend);
  }
};

}  // namespace

namespace gatehouse::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(ExampleMap, UserSessionStoreConformance,
                               ::testing::Types<MapTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(ExampleMap, UserSessionStoreCleanupConformance,
                               ::testing::Types<MapTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(ExampleMap, UserSessionStoreListingConformance,
                               ::testing::Types<MapTraits>);
}  // namespace gatehouse::testing
