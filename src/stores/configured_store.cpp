#include "stores/configured_store.hpp"

#include <gatehouse/stores/memory_user_session_store.hpp>
#include <gatehouse/stores/postgres_user_session_store.hpp>
#include <gatehouse/stores/redis_user_session_store.hpp>
#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include <string>

namespace gatehouse::stores {

namespace {

PostgresStoreOptions postgres_options(const config::SessionConfig& session) {
  return PostgresStoreOptions{.url = session.postgres_url,
                              .pool = static_cast<std::size_t>(session.postgres_pool),
                              .timeout = session.postgres_timeout,
                              .schema = session.postgres_schema,
                              .auto_migrate = session.postgres_auto_migrate};
}

}  // namespace

void add_configured_store(BffBuilder& builder, const config::SessionConfig& session) {
  switch (session.store) {
    case config::StoreKind::memory:
      builder.add_server_side_sessions<InMemoryUserSessionStore>();
      return;
    case config::StoreKind::sqlite:
      builder.add_server_side_sessions(session.sqlite_path.string());
      return;
    case config::StoreKind::postgres:
      builder.add_postgres_server_side_sessions(postgres_options(session));
      return;
    case config::StoreKind::redis:
      builder.add_redis_server_side_sessions(
          RedisStoreOptions{session.redis_url, session.redis_prefix, session.redis_timeout});
      return;
  }
}

std::string migrate_configured_store(const config::SessionConfig& session) {
  switch (session.store) {
    case config::StoreKind::memory:
      return "nothing to migrate: the memory store keeps no schema";
    case config::StoreKind::redis:
      return "nothing to migrate: the Redis store keeps no schema";
    case config::StoreKind::sqlite: {
      // Opening a SQLite store brings its schema up to date (or refuses a newer one).
      SqliteDatabaseOptions options;
      options.path = session.sqlite_path.string();
      open_sqlite_session_database(std::move(options));
      return "sqlite database \"" + session.sqlite_path.string() + "\" is at schema version " +
             std::to_string(sqlite_schema_version);
    }
    case config::StoreKind::postgres: {
      const auto options = postgres_options(session);
      const auto action = migrate_postgres_schema(options);
      const std::string version = " (version " + std::to_string(postgres_schema_version) + ")";
      switch (action) {
        case PostgresSchemaAction::created:
          return "schema \"" + options.schema + "\" created" + version;
        case PostgresSchemaAction::migrated:
          return "schema \"" + options.schema + "\" migrated" + version;
        case PostgresSchemaAction::up_to_date:
          break;
      }
      return "schema \"" + options.schema + "\" is already at version " +
             std::to_string(postgres_schema_version);
    }
  }
  return "nothing to migrate";
}

bool is_shared_between_processes(config::StoreKind kind) {
  return kind != config::StoreKind::memory;
}

}  // namespace gatehouse::stores
