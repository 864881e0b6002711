// The schema gatehouse creates and migrates, what it refuses to touch, and opening: options,
// passwords, TLS.
#include <gatehouse/session/user_session_validation.hpp>

#include "stores/postgres/postgres_schema.hpp"
#include "stores/postgres/postgres_test_support.hpp"
#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <fstream>
#include <latch>
#include <thread>

namespace gatehouse::testing {
namespace {

class PostgresSchema : public ::testing::Test {
 protected:
  PostgresStoreOptions options(bool auto_migrate = true) {
    auto o = options_for(schema_);
    o.auto_migrate = auto_migrate;
    return o;
  }
  std::string q(const std::string& sql) { return server_.query(sql); }
  std::string version() { return q("SELECT version FROM " + schema_ + ".schema_version"); }
  std::string tables() {
    return q(
        "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables "
        "WHERE table_schema = '" +
        schema_ + "'");
  }
  // EXPLAIN of the store's own prepared statement `id` with these arguments.
  std::string plan(postgres::Statement id, const std::string& types, const std::string& args) {
    const auto s = postgres::make_statements("\"" + schema_ + "\"")[static_cast<std::size_t>(id)];
    return q("SET enable_seqscan = off; PREPARE p (" + types + ") AS " + s.sql +
             "; EXPLAIN (COSTS OFF) EXECUTE p (" + args + ")");
  }

  PostgresServer& server_ = PostgresServer::shared();
  std::string schema_ = fresh_schema();
};

TEST_F(PostgresSchema, AFreshSchemaHasTheIndexesAVersionAndPlansThatUseThem) {
  open_postgres_session_database(options());
  EXPECT_EQ(version(), std::to_string(postgres_schema_version));
  EXPECT_EQ(tables(), "schema_version,user_sessions");
  const auto where = "WHERE schemaname = '" + schema_ + "' AND tablename = 'user_sessions'";
  EXPECT_EQ(q("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes " + where +
              " AND indexdef LIKE 'CREATE UNIQUE%'"),
            "ux_user_sessions_key,ux_user_sessions_sid,ux_user_sessions_subject_sid");
  EXPECT_NE(
      q("SELECT indexdef FROM pg_indexes " + where + " AND indexname = 'ix_user_sessions_expires'")
          .find("(partition_key, expires)"),
      std::string::npos);
  EXPECT_EQ(q("SELECT data_type FROM information_schema.columns WHERE table_schema = '" + schema_ +
              "' AND table_name = 'user_sessions' AND column_name = 'version'"),
            "bigint");
  // A cleanup batch finds its rows through the expires index and deletes them by TID.
  const auto cleanup =
      plan(postgres::Statement::remove_expired, "text, bigint, bigint", "'a', 5, 3");
  EXPECT_NE(cleanup.find("Tid Scan"), std::string::npos) << cleanup;
  EXPECT_NE(cleanup.find("ix_user_sessions_expires"), std::string::npos) << cleanup;
  // A listing page walks the primary key in order: no sort.
  const auto page = plan(postgres::Statement::page, "text, text, bigint", "'a', 'k', 10");
  EXPECT_NE(page.find("ux_user_sessions_key"), std::string::npos) << page;
  EXPECT_EQ(page.find("Sort"), std::string::npos) << page;
}

TEST_F(PostgresSchema, ASecondOpenChangesNothingAndTakesNoMigrationLock) {
  open_postgres_session_database(options());
  const auto stamp = q("SELECT xmin FROM " + schema_ + ".schema_version");
  // Another session holds the migration lock: an open that meant to migrate would wait on it.
  PostgresSession holder(server_.url());
  ASSERT_TRUE(holder.exec("SELECT pg_advisory_lock(hashtext('gatehouse-sessions'), hashtext('" +
                          schema_ + "'))"));
  const auto started = std::chrono::steady_clock::now();
  open_postgres_session_database(options());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  EXPECT_EQ(q("SELECT xmin FROM " + schema_ + ".schema_version"), stamp);
}

TEST_F(PostgresSchema, ANewerVersionIsRefusedAndLeftAlone) {
  open_postgres_session_database(options());
  q("UPDATE " + schema_ + ".schema_version SET version = 99");
  std::string what;
  EXPECT_EQ(open_error(options(), &what), StoreErrc::unsupported_version);
  EXPECT_NE(what.find("99"), std::string::npos) << what;
  EXPECT_NE(what.find(schema_), std::string::npos) << what;
  EXPECT_EQ(version(), "99");
}

TEST_F(PostgresSchema, AForeignTableOfTheSameNameIsRefusedUntouched) {
  q("CREATE SCHEMA " + schema_ + "; CREATE TABLE " + schema_ +
    ".user_sessions (id integer); INSERT INTO " + schema_ + ".user_sessions VALUES (7)");
  for (bool migrate : {true, false}) {
    std::string what;
    EXPECT_EQ(open_error(options(migrate), &what), StoreErrc::corrupt);
    EXPECT_NE(what.find("not gatehouse's (user_sessions)"), std::string::npos) << what;
  }
  EXPECT_EQ(tables(), "user_sessions");
  EXPECT_EQ(q("SELECT string_agg(column_name, ',') FROM information_schema.columns WHERE "
              "table_schema = '" +
              schema_ + "' AND table_name = 'user_sessions'"),
            "id");
  EXPECT_EQ(q("SELECT id FROM " + schema_ + ".user_sessions"), "7");
}

TEST_F(PostgresSchema, AForeignSchemaVersionTableIsRefused) {
  q("CREATE SCHEMA " + schema_ + "; CREATE TABLE " + schema_ +
    ".schema_version (installed_rank integer)");
  std::string what;
  EXPECT_EQ(open_error(options(), &what), StoreErrc::corrupt);
  EXPECT_NE(what.find("schema_version table is not gatehouse's"), std::string::npos) << what;
  EXPECT_EQ(tables(), "schema_version");
}

TEST_F(PostgresSchema, AnEmptySchemaMadeByTheOperatorIsUsed) {
  q("CREATE SCHEMA " + schema_);
  open_postgres_session_database(options());
  EXPECT_EQ(version(), std::to_string(postgres_schema_version));
}

TEST_F(PostgresSchema, WithoutAutoMigrateAMissingSchemaAsksForGatehouseMigrate) {
  std::string what;
  EXPECT_EQ(open_error(options(false), &what), StoreErrc::unavailable);
  EXPECT_NE(what.find("run `gatehouse migrate`"), std::string::npos) << what;
  EXPECT_EQ(q("SELECT count(*) FROM pg_namespace WHERE nspname = '" + schema_ + "'"), "0");

  // It migrates whatever auto_migrate says, and says what it did.
  EXPECT_EQ(migrate_postgres_schema(options(false)), PostgresSchemaAction::created);
  EXPECT_EQ(version(), std::to_string(postgres_schema_version));
  EXPECT_EQ(migrate_postgres_schema(options(false)), PostgresSchemaAction::up_to_date);
  EXPECT_NO_THROW(open_postgres_session_database(options(false)));
}

TEST_F(PostgresSchema, MigrateNamesTheProblem) {
  auto o = options();
  o.url = server_.url("no_such_database");
  try {
    migrate_postgres_schema(o);
    ADD_FAILURE() << "migrated a database that does not exist";
  } catch (const StoreOpenError& e) {
    EXPECT_EQ(e.code(), StoreErrc::unavailable);
    EXPECT_NE(std::string(e.what()).find("/no_such_database"), std::string::npos) << e.what();
  }
}

TEST_F(PostgresSchema, EnginesOpeningTogetherOnAnEmptyDatabaseAllSucceed) {
  const auto url = server_.create_database();
  constexpr int engines = 6;
  std::latch start(engines);
  std::atomic<int> opened{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < engines; ++i)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      try {
        open_postgres_session_database({.url = url});  // the default schema
        ++opened;
      } catch (const StoreOpenError& e) {
        ADD_FAILURE() << e.what();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened.load(), engines);
  EXPECT_EQ(
      server_.query_url("SELECT application || '|' || version FROM gatehouse.schema_version", url),
      "gatehouse-sessions|" + std::to_string(postgres_schema_version));
}

TEST(PostgresOptions, BadOptionsAreInvalidArguments) {
  const auto good = options_for(fresh_schema());
  auto with = [&](auto change) {
    auto o = good;
    change(o);
    return open_error(o);
  };
  EXPECT_EQ(with([](auto& o) { o.url.clear(); }), StoreErrc::invalid_argument);
  EXPECT_EQ(with([](auto& o) { o.pool = 0; }), StoreErrc::invalid_argument);
  EXPECT_EQ(with([](auto& o) { o.timeout = std::chrono::milliseconds(0); }),
            StoreErrc::invalid_argument);
  EXPECT_EQ(with([](auto& o) { o.schema.clear(); }), StoreErrc::invalid_argument);
  EXPECT_EQ(with([](auto& o) { o.schema.assign(64, 's'); }), StoreErrc::invalid_argument);
  std::string what;
  auto o = good;
  o.url = "host=127.0.0.1 password=hunter2 nonsense";
  EXPECT_EQ(open_error(o, &what), StoreErrc::invalid_argument);
  EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
  EXPECT_EQ(what.find("nonsense"), std::string::npos) << what;
  auto database = open_postgres_session_database(good);
  EXPECT_THROW(std::make_shared<PostgresUserSessionStore>(database, std::string(201, 'p')),
               StoreOpenError);
}

TEST(PostgresOptions, AnUnreachableServerIsUnavailableNamingTheServerButNotThePassword) {
  auto o = options_for(fresh_schema());
  const auto port = std::to_string(PostgresServer::shared().port() + 1);  // nothing listens
  o.url = "postgresql://gatehouse:hunter2@127.0.0.1:" + port + "/sessions";
  std::string what;
  EXPECT_EQ(open_error(o, &what), StoreErrc::unavailable);
  EXPECT_NE(what.find("127.0.0.1:" + port + "/sessions"), std::string::npos) << what;
  EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
}

TEST(PostgresOptions, ThePasswordComesFromTheUrlAPassfileOrPgpassword) {
  auto& server = PostgresServer::shared();
  server.query(
      "DO $$ BEGIN CREATE ROLE gatehouse_password LOGIN PASSWORD 'pw-Secret-1'; "
      "EXCEPTION WHEN duplicate_object THEN NULL; END $$; "
      "GRANT CREATE ON DATABASE postgres TO gatehouse_password");
  const auto at = "@127.0.0.1:" + std::to_string(server.port()) + "/postgres";
  auto o = options_for(fresh_schema());
  o.url = "postgresql://gatehouse_password:pw-Secret-1" + at;
  EXPECT_NO_THROW(open_postgres_session_database(o));

  o.url = "postgresql://gatehouse_password" + at;
  std::string what;
  EXPECT_EQ(open_error(o, &what), StoreErrc::unavailable) << "no password at all";
  TempDir dir;
  const auto passfile = dir.file("pgpass");
  std::ofstream(passfile) << "127.0.0.1:" << server.port()
                          << ":postgres:gatehouse_password:pw-Secret-1\n";
  std::filesystem::permissions(passfile, std::filesystem::perms::owner_read);
  setenv("PGPASSFILE", passfile.c_str(), 1);
  EXPECT_NO_THROW(open_postgres_session_database(o));
  unsetenv("PGPASSFILE");
  setenv("PGPASSWORD", "pw-Secret-1", 1);
  EXPECT_NO_THROW(open_postgres_session_database(o));
  unsetenv("PGPASSWORD");

  o.url = "postgresql://gatehouse_password:wrong-Secret-2" + at;
  EXPECT_EQ(open_error(o, &what), StoreErrc::unavailable);
  EXPECT_NE(what.find("password authentication failed"), std::string::npos) << what;
  EXPECT_EQ(what.find("wrong-Secret-2"), std::string::npos) << what;
}

TEST(PostgresTls, SessionsTravelOverVerifiedTls) {
  auto& server = PostgresServer::shared();
  const auto certificate = server.enable_tls();
  auto o = options_for(fresh_schema());
  o.url = "postgresql://postgres@localhost:" + std::to_string(server.port()) +
          "/postgres?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=" + certificate +
          "&application_name=gatehouse-tls";
  {
    PostgresUserSessionStore store({"app", system_clock()}, o);
    boost::asio::io_context io;
    UserSession s{.key = "k", .subject_id = "alice", .session_id = "sid"};
    // Larger than many TLS records, so results arrive in pieces.
    s.ticket.resize(UserSessionLimits::max_ticket);
    for (std::size_t i = 0; i < s.ticket.size(); ++i) s.ticket[i] = static_cast<char>(i * 7 % 251);
    ASSERT_TRUE(run(io, store.create_user_session(s)));
    auto got = run(io, store.get_user_session("k"));
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->ticket, s.ticket);
    EXPECT_EQ(server.query("SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a "
                           "USING (pid) WHERE a.application_name = 'gatehouse-tls'"),
              "t");
  }
  server.query("ALTER SYSTEM RESET ssl");
  server.query("SELECT pg_reload_conf()");
}

}  // namespace
}  // namespace gatehouse::testing
