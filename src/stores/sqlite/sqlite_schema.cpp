#include "stores/sqlite/sqlite_schema.hpp"

#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include <sqlite3.h>

#include <array>

namespace gatehouse::sqlite {
namespace {

// 'GHSS': marks the file as a gatehouse session store, so a foreign database is never altered.
constexpr std::int64_t application_id = 0x47485353;

// migrations[i] takes the schema from version i to i + 1. Released entries never change.
constexpr std::array<const char*, sqlite_schema_version> migrations = {
    R"sql(
CREATE TABLE user_sessions (
  id            INTEGER PRIMARY KEY,
  partition_key TEXT    NOT NULL,
  key           TEXT    NOT NULL,
  subject_id    TEXT    NOT NULL,
  session_id    TEXT,
  created       INTEGER NOT NULL,
  renewed       INTEGER NOT NULL,
  expires       INTEGER,
  ticket        BLOB    NOT NULL
);
CREATE UNIQUE INDEX ux_user_sessions_key ON user_sessions (partition_key, key);
CREATE UNIQUE INDEX ux_user_sessions_subject_sid ON user_sessions (partition_key, subject_id, session_id);
CREATE UNIQUE INDEX ux_user_sessions_sid ON user_sessions (partition_key, session_id);
CREATE INDEX ix_user_sessions_expires ON user_sessions (partition_key, expires);
)sql",
    // 2: a version per row for conditional updates (existing rows start at 1; O(1) in SQLite).
    R"sql(
ALTER TABLE user_sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
)sql",
};

[[noreturn]] void refuse(int rc, const std::string& path, const std::string& problem) {
  throw StoreOpenError(to_store_error(rc), "session database '" + path + "': " + problem);
}

std::int64_t pragma_int(Connection& c, const char* sql, const std::string& path) {
  Use q(c.cached(sql));
  const int rc = q->step();
  if (rc != SQLITE_ROW) {
    if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
      refuse(rc, path, "not a SQLite database, or corrupt (" + c.last_error() + ")");
    refuse(rc, path, "cannot read it: " + c.last_error());
  }
  return q->int64(0);
}

}  // namespace

void prepare_database(Connection& c, const std::string& path) {
  const auto foreign = pragma_int(c, "PRAGMA application_id", path);
  const auto version = pragma_int(c, "PRAGMA user_version", path);
  const auto tables = pragma_int(c, "SELECT count(*) FROM sqlite_schema", path);

  if (foreign != application_id && (foreign != 0 || tables != 0))
    refuse(SQLITE_NOTADB, path, "not a gatehouse session database (it holds other data)");
  if (version > sqlite_schema_version)
    throw StoreOpenError(make_error_code(StoreErrc::unsupported_version),
                         "session database '" + path + "' has schema version " +
                             std::to_string(version) + ", newer than this gatehouse supports (" +
                             std::to_string(sqlite_schema_version) + "); upgrade gatehouse");

  {
    Use mode(c.cached("PRAGMA journal_mode=WAL"));
    if (int rc = mode->step(); rc != SQLITE_ROW || mode->text(0) != "wal")
      refuse(rc == SQLITE_ROW ? SQLITE_CANTOPEN : rc, path,
             "cannot switch to WAL journal mode: " + c.last_error());
  }
  if (int rc = c.exec("PRAGMA synchronous=NORMAL"); rc != SQLITE_OK)
    refuse(rc, path, c.last_error());
  if (version == sqlite_schema_version) return;

  if (int rc = c.exec("BEGIN IMMEDIATE"); rc != SQLITE_OK)
    refuse(rc, path, "cannot write (read-only or locked?): " + c.last_error());
  for (auto v = version; v < sqlite_schema_version; ++v) {
    if (int rc = c.exec(migrations[v]); rc != SQLITE_OK) {
      const auto error = c.last_error();
      c.exec("ROLLBACK");
      refuse(rc, path,
             "migration to schema version " + std::to_string(v + 1) + " failed: " + error);
    }
  }
  const std::string stamp = "PRAGMA application_id=" + std::to_string(application_id) +
                            "; PRAGMA user_version=" + std::to_string(sqlite_schema_version) +
                            "; COMMIT";
  if (int rc = c.exec(stamp.c_str()); rc != SQLITE_OK) {
    const auto error = c.last_error();
    c.exec("ROLLBACK");
    refuse(rc, path, "cannot commit the schema: " + error);
  }
}

}  // namespace gatehouse::sqlite
