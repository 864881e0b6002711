// BffBuilder::add_server_side_sessions(path): the SQLite store by name, defined here so that
// only programs linking gatehouse_store_sqlite carry it.
#include <gatehouse/bff_builder.hpp>
#include <gatehouse/stores/sqlite_user_session_store.hpp>

namespace gatehouse {

BffBuilder& BffBuilder::add_server_side_sessions(std::string sqlite_path) {
  return add_server_side_sessions<SqliteUserSessionStore>(std::move(sqlite_path));
}

}  // namespace gatehouse
