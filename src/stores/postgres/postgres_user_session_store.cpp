#include <gatehouse/session/store_support.hpp>
#include <gatehouse/session/user_session_validation.hpp>
#include <gatehouse/stores/postgres_user_session_store.hpp>

#include "stores/postgres/postgres_database.hpp"

namespace gatehouse {
namespace {

using postgres::Params;
using postgres::Rows;
using postgres::Statement;

std::int64_t millis(Timestamp t) {
  return t.time_since_epoch().count();
}

std::optional<std::int64_t> millis(const std::optional<Timestamp>& t) {
  return t ? std::optional<std::int64_t>(millis(*t)) : std::nullopt;
}

Timestamp at(std::int64_t ms) {
  return Timestamp(std::chrono::milliseconds(ms));
}

// Columns as the gh_get family selects them.
UserSession session_at(const Rows& rows, int row, const std::string& partition) {
  UserSession s{.key = rows.text(row, 0),
                .partition_key = partition,
                .subject_id = rows.text(row, 1),
                .created = at(rows.int64(row, 3)),
                .renewed = at(rows.int64(row, 4)),
                .ticket = rows.text(row, 6),
                .version = static_cast<std::uint64_t>(rows.int64(row, 7))};
  if (!rows.is_null(row, 2)) s.session_id = rows.text(row, 2);
  if (!rows.is_null(row, 5)) s.expires = at(rows.int64(row, 5));
  return s;
}

// The statement for the filter's index, with the partition, subject and session id it names.
std::pair<Statement, Params> filtered(const std::string& partition, UserSessionsFilter f,
                                      Statement by_subject, Statement by_sid, Statement by_both) {
  Params p;
  p.text(partition);
  const auto statement = f.subject_id && f.session_id ? by_both
                         : f.subject_id               ? by_subject
                                                      : by_sid;
  if (f.subject_id) p.text(std::move(*f.subject_id));
  if (f.session_id) p.text(std::move(*f.session_id));
  return {statement, std::move(p)};
}

StoreResult<void> nothing(const Rows&) {
  return {};
}

StoreResult<std::size_t> affected(const Rows& rows) {
  return rows.affected();
}

}  // namespace

PostgresUserSessionStore::PostgresUserSessionStore(const UserSessionStoreContext& context,
                                                   PostgresStoreOptions options)
    : PostgresUserSessionStore(open_postgres_session_database(std::move(options)),
                               context.partition, context.clock) {}

PostgresUserSessionStore::PostgresUserSessionStore(
    std::shared_ptr<PostgresSessionDatabase> database, std::string partition, Clock clock)
    : database_(std::move(database)),
      partition_(std::move(partition)),
      clock_(clock ? std::move(clock) : system_clock()) {
  if (!database_)
    throw StoreOpenError(make_error_code(StoreErrc::invalid_argument), "no session database");
  if (validate_partition_key(partition_))
    throw StoreOpenError(make_error_code(StoreErrc::invalid_argument),
                         "session partition is longer than 200 bytes");
}

PostgresUserSessionStore::~PostgresUserSessionStore() = default;

std::shared_ptr<UserSessionStore> PostgresUserSessionStore::open_partition(std::string partition) {
  return std::make_shared<PostgresUserSessionStore>(database_, std::move(partition), clock_);
}

boost::asio::awaitable<StoreResult<std::optional<UserSession>>>
PostgresUserSessionStore::get_user_session(std::string key) {
  if (auto ec = validate_key(key)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  Params p;
  p.text(partition_).text(std::move(key));
  auto decode = [partition = partition_](const Rows& rows) {
    return StoreResult<std::optional<UserSession>>(
        rows.count() ? std::optional(session_at(rows, 0, partition)) : std::nullopt);
  };
  co_return co_await database_->execute<std::optional<UserSession>>(Statement::get, std::move(p),
                                                                    std::move(decode));
}

boost::asio::awaitable<StoreResult<void>> PostgresUserSessionStore::create_user_session(
    UserSession session) {
  if (auto ec = validate_new_session(session, partition_)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  Params p;
  p.text(partition_)
      .text(std::move(session.key))
      .text(std::move(session.subject_id))
      .text(std::move(session.session_id))
      .int64(millis(session.created))
      .int64(millis(session.renewed))
      .int64(millis(session.expires))
      .text(std::move(session.ticket));
  co_return co_await database_->execute<void>(Statement::insert, std::move(p), &nothing);
}

boost::asio::awaitable<StoreResult<void>> PostgresUserSessionStore::update_user_session(
    std::string key, UserSessionUpdate update) {
  if (auto ec = validate_key(key)) co_return ec;
  if (auto ec = validate_update(update)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  const bool conditional = update.expected_version.has_value();
  Params p;
  p.text(partition_)
      .text(std::move(key))
      .text(std::move(update.subject_id))
      .text(std::move(update.session_id))
      .int64(millis(update.created))
      .int64(millis(update.renewed))
      .int64(millis(update.expires))
      .text(std::move(update.ticket))
      .int64(update.expected_version
                 ? std::optional(static_cast<std::int64_t>(*update.expected_version))
                 : std::nullopt);
  // (updated, exists): nothing updated means the key is gone, or its version moved on.
  auto decode = [conditional](const Rows& rows) -> StoreResult<void> {
    if (rows.int64(0, 0) > 0) return {};
    if (conditional && rows.int64(0, 1) > 0) return StoreErrc::conflict;
    return StoreErrc::not_found;
  };
  co_return co_await database_->execute<void>(Statement::update, std::move(p), std::move(decode));
}

boost::asio::awaitable<StoreResult<void>> PostgresUserSessionStore::delete_user_session(
    std::string key) {
  if (auto ec = validate_key(key)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  Params p;
  p.text(partition_).text(std::move(key));
  co_return co_await database_->execute<void>(Statement::remove, std::move(p), &nothing);
}

boost::asio::awaitable<StoreResult<std::vector<UserSession>>>
PostgresUserSessionStore::get_user_sessions(UserSessionsFilter filter) {
  if (auto ec = validate_filter(filter)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto [statement, p] = filtered(partition_, std::move(filter), Statement::by_subject,
                                 Statement::by_sid, Statement::by_both);
  auto decode = [partition = partition_](const Rows& rows) {
    std::vector<UserSession> found;
    found.reserve(static_cast<std::size_t>(rows.count()));
    for (int i = 0; i < rows.count(); ++i) found.push_back(session_at(rows, i, partition));
    return StoreResult<std::vector<UserSession>>(std::move(found));
  };
  co_return co_await database_->execute<std::vector<UserSession>>(statement, std::move(p),
                                                                  std::move(decode));
}

boost::asio::awaitable<StoreResult<UserSessionPage>> PostgresUserSessionStore::list_user_sessions(
    UserSessionPageRequest page) {
  if (auto ec = validate_page_request(page)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  const auto limit = static_cast<int>(page.limit);
  Params p;
  // Keys are never empty, so '' starts at the first one; one row more than asked tells whether
  // another page follows.
  p.text(partition_).text(page.after.value_or("")).int64(limit + 1);
  auto decode = [partition = partition_, limit](const Rows& rows) {
    UserSessionPage out;
    const int n = std::min(rows.count(), limit);
    out.sessions.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) out.sessions.push_back(session_at(rows, i, partition));
    if (rows.count() > limit) out.next = out.sessions.back().key;
    return StoreResult<UserSessionPage>(std::move(out));
  };
  co_return co_await database_->execute<UserSessionPage>(Statement::page, std::move(p),
                                                         std::move(decode));
}

boost::asio::awaitable<StoreResult<std::size_t>> PostgresUserSessionStore::delete_user_sessions(
    UserSessionsFilter filter) {
  if (auto ec = validate_filter(filter)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto [statement, p] = filtered(partition_, std::move(filter), Statement::remove_by_subject,
                                 Statement::remove_by_sid, Statement::remove_by_both);
  co_return co_await database_->execute<std::size_t>(statement, std::move(p), &affected);
}

boost::asio::awaitable<StoreResult<std::size_t>> PostgresUserSessionStore::delete_expired_sessions(
    DeleteExpiredOptions options) {
  const auto now = millis(clock_());
  const auto limit = static_cast<std::int64_t>(options.batch_size);
  const bool report = static_cast<bool>(options.on_removed);
  // Each batch is its own statement and transaction, so requests' writes interleave; its rows
  // arrive only after the server committed it. A short batch: the rest is gone, or locked by
  // another instance's cleanup that takes it.
  auto batch = [this, now, limit, report]() {
    Params p;
    p.text(partition_).int64(now).int64(limit);
    auto decode = [report](const Rows& rows) -> StoreResult<ExpiredBatch> {
      ExpiredBatch out;
      if (!report) {
        out.count = rows.affected();
        return out;
      }
      out.sessions.reserve(static_cast<std::size_t>(rows.count()));
      for (int i = 0; i < rows.count(); ++i) {
        ExpiredSession& s = out.sessions.emplace_back();
        s.key = rows.text(i, 0);
        s.subject_id = rows.text(i, 1);
        if (!rows.is_null(i, 2)) s.session_id = rows.text(i, 2);
        if (!rows.is_null(i, 3)) s.expires = at(rows.int64(i, 3));
      }
      out.count = out.sessions.size();
      return out;
    };
    return database_->execute<ExpiredBatch>(
        report ? Statement::remove_expired_returning : Statement::remove_expired, std::move(p),
        std::move(decode));
  };
  co_return co_await remove_expired_in_batches(std::move(options), std::move(batch));
}

}  // namespace gatehouse
