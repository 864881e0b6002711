// The four conformance suites against a real PostgreSQL server, each test in a schema of its own.
#include <gatehouse/stores/postgres_user_session_store.hpp>

#include "conformance/user_session_cleanup_conformance.hpp"
#include "conformance/user_session_listing_conformance.hpp"
#include "conformance/user_session_partitions_conformance.hpp"
#include "conformance/user_session_store_conformance.hpp"
#include "stores/postgres/postgres_database.hpp"
#include "stores/postgres/postgres_test_support.hpp"

namespace gatehouse::testing {
namespace {

struct PostgresTraits {
  std::string schema = fresh_schema();
  std::vector<std::weak_ptr<PostgresSessionDatabase>> engines;

  std::shared_ptr<UserSessionStore> open(const UserSessionStoreContext& context) {
    auto store = std::make_shared<PostgresUserSessionStore>(context, options_for(schema));
    engines.push_back(store->database());
    return store;
  }

  // Another session locks the table: the store's statements are sent and wait on the server,
  // so a cancellation meets them in flight. Before the lock goes, every statement cancelled in
  // flight has ended (a cancel request travels asynchronously to the test, and is repeated when
  // it reached the backend before the statement did).
  std::shared_ptr<void> hold_writes() {
    auto session = std::make_shared<PostgresSession>(PostgresServer::shared().url());
    if (!session->exec("BEGIN") ||
        !session->exec("LOCK TABLE " + schema + ".user_sessions IN ACCESS EXCLUSIVE MODE"))
      return nullptr;
    return std::shared_ptr<void>(session.get(), [session, this](void*) {
      for (auto& weak : engines)
        if (auto engine = weak.lock()) engine->wait_for_cancellations();
      session->exec("ROLLBACK");
    });
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, UserSessionStoreConformance,
                               ::testing::Types<PostgresTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, UserSessionStoreCleanupConformance,
                               ::testing::Types<PostgresTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, UserSessionStoreListingConformance,
                               ::testing::Types<PostgresTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, UserSessionStorePartitionsConformance,
                               ::testing::Types<PostgresTraits>);

}  // namespace
}  // namespace gatehouse::testing
