#include "stores/postgres/postgres_schema.hpp"

#include <gatehouse/stores/postgres_user_session_store.hpp>

#include <array>
#include <initializer_list>

namespace gatehouse::postgres {
namespace {

// Marks the schema as gatehouse's: the row of schema_version that names the version.
constexpr const char* application = "gatehouse-sessions";

// migrations[i] takes the schema from version i to i + 1; {schema} is the quoted schema. Released
// entries never change. Times are milliseconds since 1970-01-01 UTC (as in the SQLite store);
// text compares byte by byte (COLLATE "C"), so listings page in the same order everywhere.
constexpr std::array<const char*, postgres_schema_version> migrations = {
    R"sql(
CREATE TABLE {schema}.schema_version (
  application text PRIMARY KEY,
  version     integer NOT NULL
);
INSERT INTO {schema}.schema_version (application, version) VALUES ('gatehouse-sessions', 1);
CREATE TABLE {schema}.user_sessions (
  partition_key text COLLATE "C" NOT NULL,
  key           text COLLATE "C" NOT NULL,
  subject_id    text COLLATE "C" NOT NULL,
  session_id    text COLLATE "C",
  created       bigint NOT NULL,
  renewed       bigint NOT NULL,
  expires       bigint,
  ticket        bytea  NOT NULL,
  version       bigint NOT NULL DEFAULT 1,
  CONSTRAINT ux_user_sessions_key PRIMARY KEY (partition_key, key)
);
-- Tickets are encrypted: compressing them only costs CPU.
ALTER TABLE {schema}.user_sessions ALTER COLUMN ticket SET STORAGE EXTERNAL;
CREATE UNIQUE INDEX ux_user_sessions_subject_sid
  ON {schema}.user_sessions (partition_key, subject_id, session_id);
CREATE UNIQUE INDEX ux_user_sessions_sid ON {schema}.user_sessions (partition_key, session_id);
CREATE INDEX ix_user_sessions_expires ON {schema}.user_sessions (partition_key, expires);
COMMENT ON TABLE {schema}.user_sessions IS
  'gatehouse user sessions: times in ms since 1970-01-01 UTC, tickets encrypted by gatehouse';
)sql",
};

constexpr const char* sql_inspect = R"sql(
SELECT n.oid IS NOT NULL,
       to_regclass(format('%I.%I', $1::text, 'schema_version')) IS NOT NULL,
       to_regclass(format('%I.%I', $1::text, 'user_sessions')) IS NOT NULL,
       coalesce((SELECT string_agg(c.relname::text, ', ' ORDER BY c.relname)
                 FROM pg_catalog.pg_class c
                 WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')), '')
FROM (SELECT $1::text AS name) AS wanted
LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = wanted.name
)sql";

std::string with_schema(std::string sql, const std::string& quoted) {
  constexpr std::string_view placeholder = "{schema}";
  for (auto at = sql.find(placeholder); at != std::string::npos;
       at = sql.find(placeholder, at + quoted.size()))
    sql.replace(at, placeholder.size(), quoted);
  return sql;
}

class Migration {
 public:
  Migration(PGconn* c, const std::string& schema, const std::string& where)
      : c_(c), schema_(schema), where_(where) {}

  [[noreturn]] void refuse(StoreErrc code, const std::string& problem) const {
    throw StoreOpenError(make_error_code(code),
                         "session database " + where_ + ", schema \"" + schema_ + "\": " + problem);
  }

  // Runs `sql` (text parameters, text results); nullopt when the server refused it.
  std::optional<Result> try_exec(const std::string& sql,
                                 std::initializer_list<std::string> params = {}) const {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    Result r(PQexecParams(c_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                          nullptr, nullptr, 0));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      last_error_ = one_line(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(c_));
      return std::nullopt;
    }
    return r;
  }

  Result exec(const std::string& what, const std::string& sql,
              std::initializer_list<std::string> params = {}) const {
    auto r = try_exec(sql, params);
    if (!r) refuse(StoreErrc::unavailable, what + ": " + last_error_);
    return std::move(*r);
  }

  // Several statements in one string (the simple protocol takes them at once).
  void exec_script(const std::string& what, const std::string& sql) const {
    Result r(PQexec(c_, sql.c_str()));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      refuse(StoreErrc::unavailable,
             what + ": " + one_line(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(c_)));
  }

  struct Found {
    bool schema_exists = false;
    int version = 0;  // 0: nothing of gatehouse's yet
  };

  Found inspect(const std::string& quoted) const {
    auto r = exec("cannot read the catalog", sql_inspect, {schema_});
    auto flag = [&](int column) { return std::string_view(PQgetvalue(r.get(), 0, column)) == "t"; };
    if (!flag(0)) return {};
    std::string relations = PQgetvalue(r.get(), 0, 3);
    if (!flag(1)) {
      if (relations.empty()) return {true, 0};
      if (relations.size() > 200) relations = relations.substr(0, 200) + "…";
      refuse(StoreErrc::corrupt, "holds tables that are not gatehouse's (" + relations +
                                     "); left untouched: choose another session.postgres_schema");
    }
    auto v = try_exec("SELECT version FROM " + quoted + ".schema_version WHERE application = $1",
                      {application});
    if (!v || PQntuples(v->get()) != 1)
      refuse(StoreErrc::corrupt,
             "its schema_version table is not gatehouse's; left untouched: choose another "
             "session.postgres_schema");
    const int version = std::atoi(PQgetvalue(v->get(), 0, 0));
    if (version > postgres_schema_version)
      refuse(StoreErrc::unsupported_version, "has schema version " + std::to_string(version) +
                                                 ", newer than this gatehouse supports (" +
                                                 std::to_string(postgres_schema_version) +
                                                 "); upgrade gatehouse");
    if (version < 1 || !flag(2))
      refuse(StoreErrc::corrupt, "schema version " + std::to_string(version) +
                                     " but no user_sessions table: restore it from a backup");
    return {true, version};
  }

 private:
  PGconn* c_;
  const std::string& schema_;
  const std::string& where_;
  mutable std::string last_error_;
};

}  // namespace

std::vector<StatementText> make_statements(const std::string& quoted_schema) {
  constexpr const char* select =
      "SELECT key, subject_id, session_id, created, renewed, expires, ticket, version FROM "
      "{schema}.user_sessions WHERE partition_key = $1 ";
  constexpr const char* remove = "DELETE FROM {schema}.user_sessions WHERE partition_key = $1 ";
  const std::string s(select), d(remove);
  // A cleanup batch: the rows another cleanup has locked are skipped, never waited for or counted
  // twice; ctid = ANY(array) is a TID scan.
  const std::string remove_expired =
      "DELETE FROM {schema}.user_sessions WHERE ctid = ANY (ARRAY(SELECT ctid FROM "
      "{schema}.user_sessions WHERE partition_key = $1 AND expires < $2 LIMIT $3 "
      "FOR UPDATE SKIP LOCKED))";
  const std::vector<Oid> t1{text_oid}, t2{text_oid, text_oid}, t3{text_oid, text_oid, text_oid};
  const std::vector<Oid> row{text_oid, text_oid, text_oid, text_oid,
                             int8_oid, int8_oid, int8_oid, bytea_oid};
  auto with_version = row;
  with_version.push_back(int8_oid);
  std::vector<StatementText> out = {
      {"gh_get", s + "AND key = $2", t2},
      {"gh_by_subject", s + "AND subject_id = $2", t2},
      {"gh_by_sid", s + "AND session_id = $2", t2},
      {"gh_by_both", s + "AND subject_id = $2 AND session_id = $3", t3},
      {"gh_page", s + "AND key > $2 ORDER BY key LIMIT $3", {text_oid, text_oid, int8_oid}},
      {"gh_insert",
       "INSERT INTO {schema}.user_sessions (partition_key, key, subject_id, session_id, created, "
       "renewed, expires, ticket) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
       row},
      // One round trip tells a missing key (not_found) from a moved-on version (conflict); the
      // count reads the snapshot from before the update.
      {"gh_update",
       "WITH changed AS (UPDATE {schema}.user_sessions SET subject_id = $3, session_id = $4, "
       "created = $5, renewed = $6, expires = $7, ticket = $8, version = version + 1 "
       "WHERE partition_key = $1 AND key = $2 AND ($9::bigint IS NULL OR version = $9) "
       "RETURNING 1) SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM "
       "{schema}.user_sessions WHERE partition_key = $1 AND key = $2)",
       with_version},
      {"gh_remove", d + "AND key = $2", t2},
      {"gh_remove_by_subject", d + "AND subject_id = $2", t2},
      {"gh_remove_by_sid", d + "AND session_id = $2", t2},
      {"gh_remove_by_both", d + "AND subject_id = $2 AND session_id = $3", t3},
      {"gh_remove_expired", remove_expired, {text_oid, int8_oid, int8_oid}},
      // For a cleanup that reports what it removed.
      {"gh_remove_expired_returning",
       remove_expired + " RETURNING key, subject_id, session_id, expires",
       {text_oid, int8_oid, int8_oid}},
  };
  for (auto& statement : out) statement.sql = with_schema(std::move(statement.sql), quoted_schema);
  static_assert(statement_count ==
                static_cast<std::size_t>(Statement::remove_expired_returning) + 1);
  return out;
}

const char* operation_of(Statement s) {
  switch (s) {
    case Statement::get:
      return "get_user_session";
    case Statement::by_subject:
    case Statement::by_sid:
    case Statement::by_both:
      return "get_user_sessions";
    case Statement::page:
      return "list_user_sessions";
    case Statement::insert:
      return "create_user_session";
    case Statement::update:
      return "update_user_session";
    case Statement::remove:
      return "delete_user_session";
    case Statement::remove_by_subject:
    case Statement::remove_by_sid:
    case Statement::remove_by_both:
      return "delete_user_sessions";
    case Statement::remove_expired:
    case Statement::remove_expired_returning:
      return "delete_expired_sessions";
  }
  return "an operation";
}

std::string quote_identifier(PGconn* c, const std::string& schema) {
  char* quoted = PQescapeIdentifier(c, schema.data(), schema.size());
  if (!quoted)
    throw StoreOpenError(
        make_error_code(StoreErrc::invalid_argument),
        "session.postgres_schema cannot be quoted: " + one_line(PQerrorMessage(c)));
  std::string out = quoted;
  PQfreemem(quoted);
  return out;
}

SchemaAction prepare_schema(PGconn* c, const std::string& schema, bool migrate,
                            const std::string& where) {
  const Migration m(c, schema, where);
  const auto quoted = quote_identifier(c, schema);
  auto found = m.inspect(quoted);
  if (found.version == postgres_schema_version) return SchemaAction::up_to_date;
  if (!migrate)
    m.refuse(StoreErrc::unavailable,
             (found.version == 0
                  ? std::string("has no gatehouse tables yet")
                  : "is at schema version " + std::to_string(found.version) +
                        ", this gatehouse needs " + std::to_string(postgres_schema_version)) +
                 "; run `gatehouse migrate` (or set session.postgres_auto_migrate = true)");

  m.exec("cannot begin the migration", "BEGIN");
  try {
    // Instances starting together take turns; the second finds the work done.
    m.exec("cannot set the lock timeout", "SET LOCAL lock_timeout = '60s'");
    m.exec("cannot take the migration lock (another gatehouse migrating?)",
           "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))", {application, schema});
    found = m.inspect(quoted);
    if (found.version != postgres_schema_version) {
      if (!found.schema_exists)
        m.exec_script("cannot create the schema", "CREATE SCHEMA " + quoted);
      for (int v = found.version; v < postgres_schema_version; ++v)
        m.exec_script("migration to schema version " + std::to_string(v + 1) + " failed",
                      with_schema(migrations[static_cast<std::size_t>(v)], quoted));
      m.exec("cannot record the schema version",
             "UPDATE " + quoted + ".schema_version SET version = $1 WHERE application = $2",
             {std::to_string(postgres_schema_version), application});
    }
    m.exec("cannot commit the migration", "COMMIT");
  } catch (...) {
    Result(PQexec(c, "ROLLBACK"));
    throw;
  }
  if (found.version == postgres_schema_version) return SchemaAction::up_to_date;
  return found.version == 0 ? SchemaAction::created : SchemaAction::migrated;
}

}  // namespace gatehouse::postgres
