#include "stores/postgres/postgres_database.hpp"

#include "posix/thread_name.hpp"
#include "stores/postgres/postgres_schema.hpp"

#include <spdlog/spdlog.h>

#include <future>

namespace gatehouse {
namespace {

[[noreturn]] void invalid(const std::string& problem) {
  throw StoreOpenError(make_error_code(StoreErrc::invalid_argument), problem);
}

PostgresStoreOptions checked(PostgresStoreOptions options) {
  if (options.url.empty()) invalid("session.postgres_url is empty");
  if (options.pool == 0) invalid("session.postgres_pool must be at least 1");
  if (options.timeout.count() <= 0) invalid("session.postgres_timeout must be larger than zero");
  // Any name is safe (it is quoted), but PostgreSQL would silently cut one past 63 bytes.
  if (options.schema.empty() || options.schema.size() > 63)
    invalid("session.postgres_schema must be 1 to 63 bytes");
  return options;
}

// Connects and brings the schema to this build's version (or refuses); returns the connection.
postgres::ConnectionHandle open_checked(const PostgresStoreOptions& options,
                                        const postgres::ConnectionParameters& parameters,
                                        bool migrate) {
  auto c = postgres::connect_blocking(parameters);
  const auto action =
      postgres::prepare_schema(c.get(), options.schema, migrate, parameters.where());
  if (action != postgres::SchemaAction::up_to_date)
    spdlog::info("session store: {} schema \"{}\" {} (version {})", parameters.where(),
                 options.schema, action == postgres::SchemaAction::created ? "created" : "migrated",
                 postgres_schema_version);
  return c;
}

}  // namespace

PostgresSessionDatabase::PostgresSessionDatabase(PostgresStoreOptions options)
    : options_(checked(std::move(options))), parameters_(options_.url, options_.timeout) {
  auto c = open_checked(options_, parameters_, options_.auto_migrate);
  auto statements = postgres::make_statements(postgres::quote_identifier(c.get(), options_.schema));
  pool_ =
      std::make_unique<postgres::Pool>(io_, parameters_, std::move(statements),
                                       postgres::Pool::Settings{options_.pool, options_.timeout});
  auto first = std::make_shared<postgres::Connection>(io_);
  std::string error;
  if (first->adopt(std::move(c), error)) pool_->add(std::move(first));
  thread_ = std::thread([this] {
    posix::name_this_thread("gh-postgres");
    io_.run();
  });
}

PostgresSessionDatabase::~PostgresSessionDatabase() {
  pool_->stop();
  thread_.join();
  pool_.reset();
}

void PostgresSessionDatabase::wait_for_cancellations() {
  std::promise<void> ended;
  auto done = ended.get_future();
  pool_->when_cancellations_ended([&ended] { ended.set_value(); });
  done.wait();
}

std::shared_ptr<PostgresSessionDatabase> open_postgres_session_database(
    PostgresStoreOptions options) {
  return std::make_shared<PostgresSessionDatabase>(std::move(options));
}

PostgresSchemaAction migrate_postgres_schema(const PostgresStoreOptions& options) {
  const auto valid = checked(options);
  const postgres::ConnectionParameters parameters(valid.url, valid.timeout);
  auto c = postgres::connect_blocking(parameters);
  switch (postgres::prepare_schema(c.get(), valid.schema, true, parameters.where())) {
    case postgres::SchemaAction::created:
      return PostgresSchemaAction::created;
    case postgres::SchemaAction::migrated:
      return PostgresSchemaAction::migrated;
    case postgres::SchemaAction::up_to_date:
      break;
  }
  return PostgresSchemaAction::up_to_date;
}

}  // namespace gatehouse
