#include "stores/configured_store.hpp"

#include <gatehouse/stores/memory_user_session_store.hpp>
#include <gatehouse/stores/sqlite_user_session_store.hpp>

namespace gatehouse::stores {

void add_configured_store(BffBuilder& builder, const config::SessionConfig& session) {
  switch (session.store) {
    case config::StoreKind::memory:
      builder.add_server_side_sessions<InMemoryUserSessionStore>();
      return;
    case config::StoreKind::sqlite:
      builder.add_server_side_sessions<SqliteUserSessionStore>(session.sqlite_path.string());
      return;
  }
}

bool is_shared_between_processes(config::StoreKind kind) {
  return kind != config::StoreKind::memory;
}

}  // namespace gatehouse::stores
