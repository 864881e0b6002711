#include "map_user_session_store.hpp"

#include <gatehouse/session/store_support.hpp>
#include <gatehouse/session/user_session_validation.hpp>

namespace example {

using gatehouse::StoreErrc;
using gatehouse::StoreResult;
using gatehouse::UserSession;
// The spec's CancellationToken: Asio's per-operation cancellation of the awaiting coroutine.
using gatehouse::cancellation_requested;

MapUserSessionStore::MapUserSessionStore(const gatehouse::UserSessionStoreContext& context,
                                         std::shared_ptr<MapBackend> backend)
    : context_(context), backend_(std::move(backend)) {}

bool MapUserSessionStore::matches(const UserSession& s,
                                  const gatehouse::UserSessionsFilter& f) const {
  return s.partition_key == context_.partition &&
         (!f.subject_id || s.subject_id == *f.subject_id) &&
         (!f.session_id || s.session_id == f.session_id);
}

bool MapUserSessionStore::sid_taken(const std::optional<std::string>& sid,
                                    const std::string& except_key) const {
  if (!sid) return false;
  for (const auto& [id, s] : backend_->rows)
    if (id.first == context_.partition && id.second != except_key && s.session_id == sid)
      return true;
  return false;
}

boost::asio::awaitable<StoreResult<std::optional<UserSession>>>
MapUserSessionStore::get_user_session(std::string key) {
  if (auto ec = gatehouse::validate_key(key)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  std::lock_guard lock(backend_->mutex);
  auto it = backend_->rows.find({context_.partition, key});
  if (it == backend_->rows.end()) co_return std::optional<UserSession>{};
  co_return std::optional<UserSession>{it->second};
}

boost::asio::awaitable<StoreResult<void>> MapUserSessionStore::create_user_session(
    UserSession session) {
  if (auto ec = gatehouse::validate_new_session(session, context_.partition)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  session.partition_key = context_.partition;
  session.version = 1;
  std::lock_guard lock(backend_->mutex);
  if (sid_taken(session.session_id, session.key)) co_return StoreErrc::conflict;
  if (!backend_->rows.try_emplace({context_.partition, session.key}, session).second)
    co_return StoreErrc::conflict;
  co_return boost::system::result<void>{};
}

boost::asio::awaitable<StoreResult<void>> MapUserSessionStore::update_user_session(
    std::string key, gatehouse::UserSessionUpdate update) {
  if (auto ec = gatehouse::validate_key(key)) co_return ec;
  if (auto ec = gatehouse::validate_update(update)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  std::lock_guard lock(backend_->mutex);
  auto it = backend_->rows.find({context_.partition, key});
  if (it == backend_->rows.end()) co_return StoreErrc::not_found;  // never re-create
  if (!gatehouse::version_matches(it->second, update)) co_return StoreErrc::conflict;
  if (sid_taken(update.session_id, key)) co_return StoreErrc::conflict;
  gatehouse::apply_update(it->second, std::move(update));
  co_return boost::system::result<void>{};
}

boost::asio::awaitable<StoreResult<void>> MapUserSessionStore::delete_user_session(
    std::string key) {
  if (auto ec = gatehouse::validate_key(key)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  std::lock_guard lock(backend_->mutex);
  backend_->rows.erase({context_.partition, key});
  co_return boost::system::result<void>{};
}

boost::asio::awaitable<StoreResult<std::vector<UserSession>>>
MapUserSessionStore::get_user_sessions(gatehouse::UserSessionsFilter filter) {
  if (auto ec = gatehouse::validate_filter(filter)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  std::lock_guard lock(backend_->mutex);
  std::vector<UserSession> found;
  for (const auto& [id, s] : backend_->rows)
    if (matches(s, filter)) found.push_back(s);
  co_return found;
}

boost::asio::awaitable<StoreResult<std::size_t>> MapUserSessionStore::delete_user_sessions(
    gatehouse::UserSessionsFilter filter) {
  if (auto ec = gatehouse::validate_filter(filter)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  std::lock_guard lock(backend_->mutex);
  std::size_t removed =
      std::erase_if(backend_->rows, [&](const auto& row) { return matches(row.second, filter); });
  co_return removed;
}

// The batch loop (cancellation between batches, reporting each batch to on_removed) is the
// shared one; a batch here removes up to batch_size expired sessions under the lock.
boost::asio::awaitable<StoreResult<std::size_t>> MapUserSessionStore::delete_expired_sessions(
    gatehouse::DeleteExpiredOptions options) {
  const auto now = context_.clock();
  auto batch = [this, now, limit = options.batch_size, report = bool(options.on_removed)]()
      -> boost::asio::awaitable<StoreResult<gatehouse::ExpiredBatch>> {
    gatehouse::ExpiredBatch out;
    std::lock_guard lock(backend_->mutex);
    for (auto it = backend_->rows.begin(); it != backend_->rows.end() && out.count < limit;) {
      const auto& s = it->second;
      if (s.partition_key != context_.partition || !s.expires || *s.expires >= now) {
        ++it;
        continue;
      }
      if (report) out.sessions.push_back({s.key, s.subject_id, s.session_id, s.expires});
      it = backend_->rows.erase(it);
      ++out.count;
    }
    co_return out;
  };
  co_return co_await gatehouse::remove_expired_in_batches(std::move(options), std::move(batch));
}

boost::asio::awaitable<StoreResult<gatehouse::UserSessionPage>>
MapUserSessionStore::list_user_sessions(gatehouse::UserSessionPageRequest page) {
  if (auto ec = gatehouse::validate_page_request(page)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  std::lock_guard lock(backend_->mutex);
  // The map is ordered by (partition, key); keys are never empty, so "" starts the partition.
  auto it = backend_->rows.upper_bound({context_.partition, page.after.value_or("")});
  gatehouse::UserSessionPage out;
  for (; it != backend_->rows.end() && it->first.first == context_.partition; ++it) {
    if (out.sessions.size() == page.limit) {
      out.next = out.sessions.back().key;
      break;
    }
    out.sessions.push_back(it->second);
  }
  co_return out;
}

}  // namespace example
