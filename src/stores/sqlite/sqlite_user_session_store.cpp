#include <gatehouse/session/user_session_validation.hpp>
#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include "session/cancellation.hpp"
#include "stores/sqlite/sqlite_schema.hpp"
#include "stores/sqlite/sqlite_workers.hpp"

#include <sqlite3.h>

#include <atomic>

namespace gatehouse {
namespace {

using sqlite::Connection;
using sqlite::Job;
using sqlite::Use;

#define GH_SELECT \
  "SELECT key, subject_id, session_id, created, renewed, expires, ticket FROM user_sessions "
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
constexpr const char* sql_update =
    "UPDATE user_sessions SET subject_id = ?3, session_id = ?4, created = ?5, renewed = ?6, "
    "expires = ?7, ticket = ?8 WHERE partition_key = ?1 AND key = ?2";
constexpr const char* sql_delete =
    "DELETE FROM user_sessions WHERE partition_key = ?1 AND key = ?2";
constexpr const char* sql_delete_by_subject =
    "DELETE FROM user_sessions WHERE partition_key = ?1 AND subject_id = ?2";
constexpr const char* sql_delete_by_sid =
    "DELETE FROM user_sessions WHERE partition_key = ?1 AND session_id = ?3";
constexpr const char* sql_delete_by_both =
    "DELETE FROM user_sessions WHERE partition_key = ?1 AND subject_id = ?2 AND session_id = ?3";
constexpr const char* sql_delete_expired =
    "DELETE FROM user_sessions WHERE id IN (SELECT id FROM user_sessions "
    "WHERE partition_key = ?1 AND expires < ?2 LIMIT ?3)";

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

}  // namespace

class SqliteUserSessionStore::Impl {
 public:
  explicit Impl(SqliteUserSessionStoreOptions o)
      : options(std::move(o)),
        checkpointer(sqlite::Workers::Policy::read, 1, 1, [this] { return open_checkpointer(); }),
        writer(sqlite::Workers::Policy::write, 1, options.max_writes_per_commit,
               [this] { return open_writer(); }),
        readers(sqlite::Workers::Policy::read, std::max<std::size_t>(1, options.reader_threads), 16,
                [this] { return open_reader(); }) {}

  std::unique_ptr<Connection> open_writer() {
    auto c = std::make_unique<Connection>(options.path, Connection::Mode::read_write_create,
                                          busy_timeout());
    try {
      sqlite::prepare_database(*c, options.path);
    } catch (const StoreOpenError&) {
      throw;
    } catch (const boost::system::system_error& e) {
      throw StoreOpenError(e.code(), "session database '" + options.path + "': " + e.what());
    }
    // Checkpoints copy the WAL into the database and sync it: slow I/O that would stall every
    // queued write. The writer only reports the WAL's size; a thread of its own checkpoints.
    sqlite3_wal_autocheckpoint(c->handle(), 0);
    sqlite3_wal_hook(c->handle(), &Impl::on_commit, this);
    return c;
  }

  std::unique_ptr<Connection> open_reader() {
    auto c =
        std::make_unique<Connection>(options.path, Connection::Mode::read_only, busy_timeout());
    c->exec("PRAGMA mmap_size=268435456");
    return c;
  }

  std::unique_ptr<Connection> open_checkpointer() {
    return std::make_unique<Connection>(options.path, Connection::Mode::read_write_create,
                                        busy_timeout());
  }

  // Queues a PASSIVE checkpoint (it never blocks readers or the writer) unless one is pending.
  void request_checkpoint() {
    if (checkpoint_pending.exchange(true)) return;
    checkpointer.submit(std::make_unique<sqlite::FunctionJob>([this](Connection& c) {
      checkpoint_pending = false;
      c.exec("PRAGMA wal_checkpoint(PASSIVE)");
    }));
  }

  static int on_commit(void* self, sqlite3*, const char*, int wal_pages) {
    if (wal_pages >= checkpoint_pages) static_cast<Impl*>(self)->request_checkpoint();
    return SQLITE_OK;
  }

  int busy_timeout() const { return static_cast<int>(options.busy_timeout.count()); }

  static constexpr int checkpoint_pages = 1000;  // SQLite's own auto-checkpoint threshold
  SqliteUserSessionStoreOptions options;
  std::atomic<bool> checkpoint_pending{false};
  // Destroyed in reverse: readers, then the writer (whose last commits may still request a
  // checkpoint), then the checkpointer. The writer is built before the readers: it creates the
  // file and schema they open.
  sqlite::Workers checkpointer;
  sqlite::Workers writer;
  sqlite::Workers readers;
};

SqliteUserSessionStore::SqliteUserSessionStore(SqliteUserSessionStoreOptions options) {
  if (options.path.empty())
    throw StoreOpenError(make_error_code(StoreErrc::invalid_argument),
                         "session database path is empty");
  if (validate_partition_key(options.partition))
    throw StoreOpenError(make_error_code(StoreErrc::invalid_argument),
                         "session partition is longer than 200 bytes");
  if (!options.clock) options.clock = system_clock();
  impl_ = std::make_unique<Impl>(std::move(options));
}

SqliteUserSessionStore::SqliteUserSessionStore(const UserSessionStoreContext& context,
                                               std::string path)
    : SqliteUserSessionStore(SqliteUserSessionStoreOptions{
          .path = std::move(path), .partition = context.partition, .clock = context.clock}) {}

SqliteUserSessionStore::~SqliteUserSessionStore() = default;

boost::asio::awaitable<StoreResult<std::optional<UserSession>>>
SqliteUserSessionStore::get_user_session(std::string key) {
  if (auto ec = validate_key(key)) co_return ec;
  if (co_await detail::cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [this,
               key = std::move(key)](Connection& c) -> StoreResult<std::optional<UserSession>> {
    Use q(c.cached(sql_get));
    q->bind(1, std::string_view(impl_->options.partition));
    q->bind(2, std::string_view(key));
    const int rc = q->step();
    if (rc == SQLITE_ROW) return std::optional<UserSession>(read_row(*q, impl_->options.partition));
    if (rc == SQLITE_DONE) return std::optional<UserSession>();
    return sqlite::to_store_error(rc);
  };
  co_return co_await sqlite::run_on<std::optional<UserSession>>(
      impl_->readers, Job::Kind::in_transaction, std::move(work));
}

boost::asio::awaitable<StoreResult<void>> SqliteUserSessionStore::create_user_session(
    UserSession session) {
  if (auto ec = validate_new_session(session, impl_->options.partition)) co_return ec;
  if (co_await detail::cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [this, s = std::move(session)](Connection& c) -> StoreResult<void> {
    Use q(c.cached(sql_insert));
    q->bind(1, std::string_view(impl_->options.partition));
    q->bind(2, std::string_view(s.key));
    q->bind(3, std::string_view(s.subject_id));
    q->bind(4, s.session_id);
    q->bind(5, millis(s.created));
    q->bind(6, millis(s.renewed));
    q->bind(7, millis(s.expires));
    q->bind_blob(8, s.ticket);
    return done(q->step());
  };
  co_return co_await sqlite::run_on<void>(impl_->writer, Job::Kind::in_transaction,
                                          std::move(work));
}

boost::asio::awaitable<StoreResult<void>> SqliteUserSessionStore::update_user_session(
    std::string key, UserSessionUpdate update) {
  if (auto ec = validate_key(key)) co_return ec;
  if (auto ec = validate_update(update)) co_return ec;
  if (co_await detail::cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [this, key = std::move(key),
               u = std::move(update)](Connection& c) -> StoreResult<void> {
    Use q(c.cached(sql_update));
    q->bind(1, std::string_view(impl_->options.partition));
    q->bind(2, std::string_view(key));
    q->bind(3, std::string_view(u.subject_id));
    q->bind(4, u.session_id);
    q->bind(5, millis(u.created));
    q->bind(6, millis(u.renewed));
    q->bind(7, millis(u.expires));
    q->bind_blob(8, u.ticket);
    if (auto r = done(q->step()); !r) return r;
    if (sqlite3_changes(c.handle()) == 0) return StoreErrc::not_found;
    return {};
  };
  co_return co_await sqlite::run_on<void>(impl_->writer, Job::Kind::in_transaction,
                                          std::move(work));
}

boost::asio::awaitable<StoreResult<void>> SqliteUserSessionStore::delete_user_session(
    std::string key) {
  if (auto ec = validate_key(key)) co_return ec;
  if (co_await detail::cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [this, key = std::move(key)](Connection& c) -> StoreResult<void> {
    Use q(c.cached(sql_delete));
    q->bind(1, std::string_view(impl_->options.partition));
    q->bind(2, std::string_view(key));
    return done(q->step());
  };
  co_return co_await sqlite::run_on<void>(impl_->writer, Job::Kind::in_transaction,
                                          std::move(work));
}

boost::asio::awaitable<StoreResult<std::vector<UserSession>>>
SqliteUserSessionStore::get_user_sessions(UserSessionsFilter filter) {
  if (auto ec = validate_filter(filter)) co_return ec;
  if (co_await detail::cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [this,
               f = std::move(filter)](Connection& c) -> StoreResult<std::vector<UserSession>> {
    Use q(filtered(c, f, sql_by_subject, sql_by_sid, sql_by_both));
    q->bind(1, std::string_view(impl_->options.partition));
    std::vector<UserSession> found;
    int rc;
    while ((rc = q->step()) == SQLITE_ROW) found.push_back(read_row(*q, impl_->options.partition));
    if (rc != SQLITE_DONE) return sqlite::to_store_error(rc);
    return found;
  };
  co_return co_await sqlite::run_on<std::vector<UserSession>>(
      impl_->readers, Job::Kind::in_transaction, std::move(work));
}

boost::asio::awaitable<StoreResult<SqliteUserSessionStore::Page>>
SqliteUserSessionStore::list_user_sessions(ListPage page) {
  if (page.limit == 0 || page.limit > max_page_size) co_return StoreErrc::invalid_argument;
  if (page.after)
    if (auto ec = validate_key(*page.after)) co_return ec;
  if (co_await detail::cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [this, p = std::move(page)](Connection& c) -> StoreResult<Page> {
    Use q(c.cached(sql_page));
    q->bind(1, std::string_view(impl_->options.partition));
    q->bind(2, p.after ? std::string_view(*p.after) : std::string_view(""));
    // One row more than asked tells whether another page follows.
    q->bind(3, static_cast<std::int64_t>(p.limit + 1));
    Page out;
    out.sessions.reserve(p.limit);
    int rc;
    while ((rc = q->step()) == SQLITE_ROW) {
      if (out.sessions.size() == p.limit) {
        out.next = out.sessions.back().key;
        rc = SQLITE_DONE;
        break;
      }
      out.sessions.push_back(read_row(*q, impl_->options.partition));
    }
    if (rc != SQLITE_DONE) return sqlite::to_store_error(rc);
    return out;
  };
  co_return co_await sqlite::run_on<Page>(impl_->readers, Job::Kind::in_transaction,
                                          std::move(work));
}

boost::asio::awaitable<StoreResult<std::size_t>> SqliteUserSessionStore::delete_user_sessions(
    UserSessionsFilter filter) {
  if (auto ec = validate_filter(filter)) co_return ec;
  if (co_await detail::cancellation_requested()) co_return StoreErrc::cancelled;
  auto work = [this, f = std::move(filter)](Connection& c) -> StoreResult<std::size_t> {
    Use q(filtered(c, f, sql_delete_by_subject, sql_delete_by_sid, sql_delete_by_both));
    q->bind(1, std::string_view(impl_->options.partition));
    if (auto r = done(q->step()); !r) return r.error();
    return static_cast<std::size_t>(sqlite3_changes(c.handle()));
  };
  co_return co_await sqlite::run_on<std::size_t>(impl_->writer, Job::Kind::in_transaction,
                                                 std::move(work));
}

boost::asio::awaitable<StoreResult<std::size_t>> SqliteUserSessionStore::delete_expired_sessions(
    DeleteExpiredOptions options) {
  if (options.batch_size == 0) co_return StoreErrc::invalid_argument;
  const auto now = millis(impl_->options.clock());
  const auto limit = static_cast<std::int64_t>(options.batch_size);
  std::size_t removed = 0;
  for (;;) {
    if (co_await detail::cancellation_requested()) {
      if (removed == 0) co_return StoreErrc::cancelled;
      break;
    }
    // Each batch is one queued write, so requests' writes interleave with a long cleanup.
    auto work = [this, now, limit](Connection& c) -> StoreResult<std::size_t> {
      Use q(c.cached(sql_delete_expired));
      q->bind(1, std::string_view(impl_->options.partition));
      q->bind(2, now);
      q->bind(3, limit);
      if (auto r = done(q->step()); !r) return r.error();
      return static_cast<std::size_t>(sqlite3_changes(c.handle()));
    };
    auto batch = co_await sqlite::run_on<std::size_t>(impl_->writer, Job::Kind::in_transaction,
                                                      std::move(work));
    if (!batch) {
      if (removed == 0 || batch.error() != StoreErrc::cancelled) co_return batch.error();
      break;
    }
    removed += *batch;
    if (*batch < options.batch_size) break;
  }
  // Move the deletions from the WAL into the database file, off the caller's path.
  if (removed > 0) impl_->request_checkpoint();
  co_return removed;
}

}  // namespace gatehouse
