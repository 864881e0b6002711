// BffBuilder::add_postgres_server_side_sessions(options): the PostgreSQL store by name, defined
// here so that only programs linking gatehouse_store_postgres carry it.
#include <gatehouse/bff_builder.hpp>
#include <gatehouse/stores/postgres_user_session_store.hpp>

namespace gatehouse {

BffBuilder& BffBuilder::add_postgres_server_side_sessions(const PostgresStoreOptions& options) {
  return add_server_side_sessions<PostgresUserSessionStore>(options);
}

}  // namespace gatehouse
