#include "stores/sqlite/sqlite_connection.hpp"

#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include <sqlite3.h>

#include <mutex>
#include <stdexcept>

namespace gatehouse::sqlite {
namespace {

// Once, before this process's first connection: SQLite's memory statistics off. With them on
// (the default), every allocation and free inside SQLite takes one process-wide mutex to keep
// the counters; io threads reading sessions at once then wait on it (a futex wake per request
// was measured, most of them here). Nothing in gatehouse reads those statistics. Too late when
// the process used SQLite before (an embedder's own database): SQLite refuses the setting
// (SQLITE_MISUSE) and keeps its statistics, which only costs speed.
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

boost::system::error_code to_store_error(int code) noexcept {
  switch (code & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return {};
    case SQLITE_CONSTRAINT:
      return make_error_code(StoreErrc::conflict);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FORMAT:
      return make_error_code(StoreErrc::corrupt);
    case SQLITE_INTERRUPT:
      return make_error_code(StoreErrc::cancelled);
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return make_error_code(StoreErrc::invalid_argument);
    default:  // BUSY, LOCKED, IOERR, FULL, CANTOPEN, READONLY, NOMEM, PERM, ...
      return make_error_code(StoreErrc::unavailable);
  }
}

Connection::Connection(const std::string& path, Mode mode, int busy_timeout_ms) {
  configure_sqlite_once();
  const int flags = (mode == Mode::read_only ? SQLITE_OPEN_READONLY
                                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw StoreOpenError(to_store_error(rc),
                         "cannot open session database '" + path + "': " + message);
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
  cache_.clear();  // statements must be finalized before the connection closes
  sqlite3_close_v2(db_);
}

int Connection::exec(const char* sql) noexcept {
  return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
}

Statement& Connection::cached(const char* sql) {
  auto& slot = cache_[sql];
  if (!slot) slot = std::make_unique<Statement>(db_, sql);
  return *slot;
}

std::string Connection::last_error() const {
  return sqlite3_errmsg(db_);
}

bool Connection::in_transaction() const noexcept {
  return sqlite3_get_autocommit(db_) == 0;
}

Statement::Statement(sqlite3* db, const char* sql) {
  const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) throw boost::system::system_error(to_store_error(rc), sqlite3_errmsg(db));
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

void Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

void Statement::bind_blob(int index, std::string_view bytes) {
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC);
}

void Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
}

void Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
}

void Statement::bind(int index, const std::optional<std::string>& text) {
  if (text)
    bind(index, std::string_view(*text));
  else
    bind_null(index);
}

void Statement::bind(int index, const std::optional<std::int64_t>& value) {
  if (value)
    bind(index, *value);
  else
    bind_null(index);
}

int Statement::step() noexcept {
  return sqlite3_step(stmt_);
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const noexcept {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const noexcept {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::text(int column) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return p ? std::string(p, sqlite3_column_bytes(stmt_, column)) : std::string{};
}

std::string Statement::blob(int column) const {
  auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  return p ? std::string(p, sqlite3_column_bytes(stmt_, column)) : std::string{};
}

}  // namespace gatehouse::sqlite
