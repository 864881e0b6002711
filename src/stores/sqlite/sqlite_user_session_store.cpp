#include <gatehouse/session/store_support.hpp>
#include <gatehouse/session/user_session_validation.hpp>
#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include "stores/sqlite/sqlite_database.hpp"
#include "stores/sqlite/sqlite_schema.hpp"
#include "stores/sqlite/sqlite_workers.hpp"

#include <sqlite3.h>
#include <boost/asio/use_awaitable.hpp>

namespace gatehouse {
namespace {

using sqlite::Connection;
using sqlite::Job;
using sqlite::Use;

#define GH_SELECT                                                                        \
  "SELECT key, subject_id, session_id, created, renewed, expires, ticket, version FROM " \
  "user_sessions "
constexpr const char* sql_get = GH_SELECT "WHERE partition_key = ?1 AND key = ?2";
constexpr const char* sql_by_subject = GH_SELECT "WHERE partition_key = ?1 AND subject_id = ?2";
constexpr const char* sql_by_sid = GH_SELECT "WHERE partition_key = ?1 AND session_id = ?3";
constexpr const char* sql_by_both =
    GH_SELECT "WHERE partition_key = ?1 AND subject_id = ?2 AND session_id = ?3";
// Walks ux_user_sessions_key (partition_key, key): no sort, no new index. Keys are never empty,
// so `key > ''` starts at the first one.
constexpr const char* sql_page =
    GH_SELECT "WHERE partition_key = ?1 AND key > ?2 ORDER BY key LIMIT ?3";
#undef GH_SELECT
constexpr const char* sql_insert =
    "INSERT INTO user_sessions (partition_key, key, subject_id, session_id, created, renewed, "
    "expires, ticket) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
// ?9: the expected version, or NULL for an unconditional update.
constexpr const char* sql_update =
    "UPDATE user_sessions SET subject_id = ?3, session_id = ?4, created = ?5, renewed = ?6, "
    "expires = ?7, ticket = ?8, version = version + 1 "
    "WHERE partition_key = ?1 AND key = ?2 AND (?9 IS NULL OR version = ?9)";
constexpr const char* sql_exists =
    "SELECT 1 FROM user_sessions WHERE partition_key = ?1 AND key = ?2";
constexpr const char* sql_delete =
    "DELETE FROM user_sessions WHERE partition_key = ?1 AND key = ?2";
constexpr const char* sql_delete_by_subject =
    "DELETE FROM user_sessions WHERE partition_key = ?1 AND subject_id = ?2";
constexpr const char* sql_delete_by_sid =
    "DELETE FROM user_sessions WHERE partition_key = ?1 AND session_id = ?3";
constexpr const char* sql_delete_by_both =
    "DELETE FROM user_sessions WHERE partition_key = ?1 AND subject_id = ?2 AND session_id = ?3";
#define GH_DELETE_EXPIRED                                                \
  "DELETE FROM user_sessions WHERE id IN (SELECT id FROM user_sessions " \
  "WHERE partition_key = ?1 AND expires < ?2 LIMIT ?3)"
constexpr const char* sql_delete_expired = GH_DELETE_EXPIRED;
// The same, telling which sessions went (RETURNING: SQLite 3.35 or later), for a reported cleanup.
constexpr const char* sql_delete_expired_returning =
    GH_DELETE_EXPIRED " RETURNING key, subject_id, session_id, expires";
#undef GH_DELETE_EXPIRED

std::int64_t millis(Timestamp t) {
  return t.time_since_epoch().count();
}
Timestamp timestamp(std::int64_t ms) {
  return Timestamp(std::chrono::milliseconds(ms));
}

std::optional<std::int64_t> millis(const std::optional<Timestamp>& t) {
  return t ? std::optional<std::int64_t>(millis(*t)) : std::nullopt;
}

UserSession read_row(sqlite::Statement& s, const std::string& partition) {
  UserSession session;
  session.key = s.text(0);
  session.partition_key = partition;
  session.subject_id = s.text(1);
  if (!s.is_null(2)) session.session_id = s.text(2);
  session.created = timestamp(s.int64(3));
  session.renewed = timestamp(s.int64(4));
  if (!s.is_null(5)) session.expires = timestamp(s.int64(5));
  session.ticket = s.blob(6);
  session.version = static_cast<std::uint64_t>(s.int64(7));
  return session;
}

// Binds the filter to ?2 (subject) and ?3 (session id) and picks the statement that uses the
// matching index.
sqlite::Statement& filtered(Connection& c, const UserSessionsFilter& f, const char* by_subject,
                            const char* by_sid, const char* by_both) {
  auto& s = c.cached(f.subject_id && f.session_id ? by_both : f.subject_id ? by_subject : by_sid);
  if (f.subject_id) s.bind(2, std::string_view(*f.subject_id));
  if (f.session_id) s.bind(3, std::string_view(*f.session_id));
  return s;
}

StoreResult<void> done(int rc) {
  if (rc == SQLITE_DONE) return {};
  return sqlite::to_store_error(rc);
}

// One batch of the cleanup, on the writer's connection inside its transaction.
StoreResult<ExpiredBatch> delete_expired_batch(Connection& c, const std::string& partition,
                                               std::int64_t now, std::int64_t limit, bool report) {
  Use q(c.cached(report ? sql_delete_expired_returning : sql_delete_expired));
  q->bind(1, std::string_view(partition));
  q->bind(2, now);
  q->bind(3, limit);
  ExpiredBatch out;
  int rc = q->step();
  for (; report && rc == SQLITE_ROW; rc = q->step()) {
    ExpiredSession& s = out.sessions.emplace_back();
    s.key = q->text(0);
    s.subject_id = q->text(1);
    if (!q->is_null(2)) s.session_id = q->text(2);
    if (!q->is_null(3)) s.expires = timestamp(q->int64(3));
  }
  if (auto r = done(rc); !r) return r.error();
  out.count = report ? out.sessions.size() : static_cast<std::size_t>(sqlite3_changes(c.handle()));
  return out;
}

}  // namespace

SqliteUserSessionStore::SqliteUserSessionStore(SqliteUserSessionStoreOptions options)
    : SqliteUserSessionStore(
          open_sqlite_session_database({.path = std::move(options.path),
                                        .reader_threads = options.reader_threads,
                                        .busy_timeout = options.busy_timeout,
                                        .max_writes_per_commit = options.max_writes_per_commit,
                                        .inline_readers = options.inline_readers}),
          std::move(options.partition), std::move(options.clock)) {}

SqliteUserSessionStore::SqliteUserSessionStore(const UserSessionStoreContext& context,
                                               std::string path)
    : SqliteUserSessionStore(SqliteUserSessionStoreOptions{
          .path = std::move(path), .partition = context.partition, .clock = context.clock}) {}

SqliteUserSessionStore::SqliteUserSessionStore(std::shared_ptr<SqliteSessionDatabase> database,
                                               std::string partition, Clock clock)
    : database_(std::move(database)),
      partition_(std::move(partition)),
      clock_(clock ? std::move(clock) : system_clock()) {
  if (!database_)
    throw StoreOpenError(make_error_code(StoreErrc::invalid_argument), "no session database");
  if (validate_partition_key(partition_))
    throw StoreOpenError(make_error_code(StoreErrc::invalid_argument),
                         "session partition is longer than 200 bytes");
}

SqliteUserSessionStore::~SqliteUserSessionStore() = default;

std::shared_ptr<UserSessionStore> SqliteUserSessionStore::open_partition(std::string partition) {
  return std::make_shared<SqliteUserSessionStore>(database_, std::move(partition), clock_);
}

SqliteDatabaseStatistics SqliteUserSessionStore::statistics() const {
  return {.commits = database_->writer().commits(),
          .writes = database_->writer().committed_jobs(),
          .inline_reads = database_->read_batches().reads(),
          .read_transactions = database_->read_batches().transactions()};
}

boost::asio::awaitable<StoreResult<std::optional<UserSession>>>
SqliteUserSessionStore::get_user_session(std::string key) {
  if (auto ec = validate_key(key)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [partition = partition_,
               key = std::move(key)](Connection& c) -> StoreResult<std::optional<UserSession>> {
    Use q(c.cached(sql_get));
    q->bind(1, std::string_view(partition));
    q->bind(2, std::string_view(key));
    const int rc = q->step();
    if (rc == SQLITE_ROW) return std::optional<UserSession>(read_row(*q, partition));
    if (rc == SQLITE_DONE) return std::optional<UserSession>();
    return sqlite::to_store_error(rc);
  };
  // Batched with the other gets of this thread's turn (sqlite_read_batches.hpp). Every get
  // suspends, so a coroutine looping over gets still lets its thread's other work run.
  if (database_->reads_inline())
    co_return co_await sqlite::run_in_batch<std::optional<UserSession>>(database_->read_batches(),
                                                                        database_, std::move(work));
  co_return co_await sqlite::run_on<std::optional<UserSession>>(
      database_->readers(), Job::Kind::in_transaction, std::move(work));
}

boost::asio::awaitable<StoreResult<void>> SqliteUserSessionStore::create_user_session(
    UserSession session) {
  if (auto ec = validate_new_session(session, partition_)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [partition = partition_, s = std::move(session)](Connection& c) -> StoreResult<void> {
    Use q(c.cached(sql_insert));
    q->bind(1, std::string_view(partition));
    q->bind(2, std::string_view(s.key));
    q->bind(3, std::string_view(s.subject_id));
    q->bind(4, s.session_id);
    q->bind(5, millis(s.created));
    q->bind(6, millis(s.renewed));
    q->bind(7, millis(s.expires));
    q->bind_blob(8, s.ticket);
    return done(q->step());
  };
  co_return co_await sqlite::run_on<void>(database_->writer(), Job::Kind::in_transaction,
                                          std::move(work));
}

boost::asio::awaitable<StoreResult<void>> SqliteUserSessionStore::update_user_session(
    std::string key, UserSessionUpdate update) {
  if (auto ec = validate_key(key)) co_return ec;
  if (auto ec = validate_update(update)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [partition = partition_, key = std::move(key),
               u = std::move(update)](Connection& c) -> StoreResult<void> {
    Use q(c.cached(sql_update));
    q->bind(1, std::string_view(partition));
    q->bind(2, std::string_view(key));
    q->bind(3, std::string_view(u.subject_id));
    q->bind(4, u.session_id);
    q->bind(5, millis(u.created));
    q->bind(6, millis(u.renewed));
    q->bind(7, millis(u.expires));
    q->bind_blob(8, u.ticket);
    q->bind(9, u.expected_version
                   ? std::optional<std::int64_t>(static_cast<std::int64_t>(*u.expected_version))
                   : std::nullopt);
    if (auto r = done(q->step()); !r) return r;
    if (sqlite3_changes(c.handle()) != 0) return {};
    if (!u.expected_version) return StoreErrc::not_found;
    // Nothing changed: the key is gone, or its version moved on.
    Use e(c.cached(sql_exists));
    e->bind(1, std::string_view(partition));
    e->bind(2, std::string_view(key));
    const int rc = e->step();
    if (rc == SQLITE_ROW) return StoreErrc::conflict;
    if (rc == SQLITE_DONE) return StoreErrc::not_found;
    return sqlite::to_store_error(rc);
  };
  co_return co_await sqlite::run_on<void>(database_->writer(), Job::Kind::in_transaction,
                                          std::move(work));
}

boost::asio::awaitable<StoreResult<void>> SqliteUserSessionStore::delete_user_session(
    std::string key) {
  if (auto ec = validate_key(key)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [partition = partition_, key = std::move(key)](Connection& c) -> StoreResult<void> {
    Use q(c.cached(sql_delete));
    q->bind(1, std::string_view(partition));
    q->bind(2, std::string_view(key));
    return done(q->step());
  };
  co_return co_await sqlite::run_on<void>(database_->writer(), Job::Kind::in_transaction,
                                          std::move(work));
}

boost::asio::awaitable<StoreResult<std::vector<UserSession>>>
SqliteUserSessionStore::get_user_sessions(UserSessionsFilter filter) {
  if (auto ec = validate_filter(filter)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [partition = partition_,
               f = std::move(filter)](Connection& c) -> StoreResult<std::vector<UserSession>> {
    Use q(filtered(c, f, sql_by_subject, sql_by_sid, sql_by_both));
    q->bind(1, std::string_view(partition));
    std::vector<UserSession> found;
    int rc;
    while ((rc = q->step()) == SQLITE_ROW) found.push_back(read_row(*q, partition));
    if (rc != SQLITE_DONE) return sqlite::to_store_error(rc);
    return found;
  };
  co_return co_await sqlite::run_on<std::vector<UserSession>>(
      database_->readers(), Job::Kind::in_transaction, std::move(work));
}

boost::asio::awaitable<StoreResult<UserSessionPage>> SqliteUserSessionStore::list_user_sessions(
    UserSessionPageRequest page) {
  if (auto ec = validate_page_request(page)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [partition = partition_,
               p = std::move(page)](Connection& c) -> StoreResult<UserSessionPage> {
    Use q(c.cached(sql_page));
    q->bind(1, std::string_view(partition));
    q->bind(2, p.after ? std::string_view(*p.after) : std::string_view(""));
    // One row more than asked tells whether another page follows.
    q->bind(3, static_cast<std::int64_t>(p.limit + 1));
    UserSessionPage out;
    out.sessions.reserve(p.limit);
    int rc;
    while ((rc = q->step()) == SQLITE_ROW) {
      if (out.sessions.size() == p.limit) {
        out.next = out.sessions.back().key;
        rc = SQLITE_DONE;
        break;
      }
      out.sessions.push_back(read_row(*q, partition));
    }
    if (rc != SQLITE_DONE) return sqlite::to_store_error(rc);
    return out;
  };
  co_return co_await sqlite::run_on<UserSessionPage>(database_->readers(),
                                                     Job::Kind::in_transaction, std::move(work));
}

boost::asio::awaitable<StoreResult<std::size_t>> SqliteUserSessionStore::delete_user_sessions(
    UserSessionsFilter filter) {
  if (auto ec = validate_filter(filter)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [partition = partition_,
               f = std::move(filter)](Connection& c) -> StoreResult<std::size_t> {
    Use q(filtered(c, f, sql_delete_by_subject, sql_delete_by_sid, sql_delete_by_both));
    q->bind(1, std::string_view(partition));
    if (auto r = done(q->step()); !r) return r.error();
    return static_cast<std::size_t>(sqlite3_changes(c.handle()));
  };
  co_return co_await sqlite::run_on<std::size_t>(database_->writer(), Job::Kind::in_transaction,
                                                 std::move(work));
}

boost::asio::awaitable<StoreResult<std::size_t>> SqliteUserSessionStore::delete_expired_sessions(
    DeleteExpiredOptions options) {
  const auto now = millis(clock_());
  const auto limit = static_cast<std::int64_t>(options.batch_size);
  const bool report = static_cast<bool>(options.on_removed);
  // Each batch is one queued write, so requests' writes interleave with a long cleanup; its rows
  // reach the caller only once its transaction committed.
  auto batch = [this, now, limit, report]() {
    auto work = [partition = partition_, now, limit, report](Connection& c) {
      return delete_expired_batch(c, partition, now, limit, report);
    };
    return sqlite::run_on<ExpiredBatch>(database_->writer(), Job::Kind::in_transaction,
                                        std::move(work));
  };
  auto removed = co_await remove_expired_in_batches(std::move(options), std::move(batch));
  // Move the deletions from the WAL into the database file, off the caller's path.
  if (removed && *removed > 0) database_->request_checkpoint();
  co_return removed;
}

}  // namespace gatehouse
