// What every store implementation needs besides the argument checks of
// user_session_validation.hpp: the spec's CancellationToken check, applying an update and the
// batch loop of a cleanup, so a custom store gives the same answers as the built-in ones without
// re-writing them.
#pragma once

#include <gatehouse/session/store_error.hpp>
#include <gatehouse/session/user_session.hpp>
#include <gatehouse/session/user_session_store.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <cstddef>
#include <utility>
#include <vector>

namespace gatehouse {

// True when the awaiting coroutine has been cancelled (Asio per-operation cancellation). A store
// checks it before it starts work, and answers StoreErrc::cancelled having done nothing.
inline boost::asio::awaitable<bool> cancellation_requested() {
  auto state = co_await boost::asio::this_coro::cancellation_state;
  co_return state.cancelled() != boost::asio::cancellation_type::none;
}

// Whether `update` may be applied to `stored` (its expected version, when set, is the stored one).
inline bool version_matches(const UserSession& stored, const UserSessionUpdate& update) {
  return !update.expected_version || *update.expected_version == stored.version;
}

// Replaces every mutable field of `session` with the update's and counts the version up; key and
// partition stay.
inline void apply_update(UserSession& session, UserSessionUpdate update) {
  session.subject_id = std::move(update.subject_id);
  session.session_id = std::move(update.session_id);
  session.created = update.created;
  session.renewed = update.renewed;
  session.expires = update.expires;
  session.ticket = std::move(update.ticket);
  ++session.version;
}

// What one batch of a cleanup removed: how many, and which (filled only when the cleanup
// reports them: DeleteExpiredOptions::on_removed is set).
struct ExpiredBatch {
  std::size_t count = 0;
  std::vector<ExpiredSession> sessions;
};

// delete_expired_sessions' loop with the contract's answers: batch_size 0 -> invalid_argument;
// `remove_batch()` (an awaitable StoreResult<ExpiredBatch>: at most batch_size expired sessions
// removed in one transaction) runs until a batch comes back short; every batch that removed
// sessions goes to on_removed once it is back, before the next one starts; cancellation is
// checked before each batch. Cancelled before anything was removed -> cancelled; cancelled later
// -> what the finished batches removed; a batch that failed otherwise -> its error. Pass a named
// callable (g++ 12 destroys capturing lambda temporaries in a co_await twice).
template <class RemoveBatch>
boost::asio::awaitable<StoreResult<std::size_t>> remove_expired_in_batches(
    DeleteExpiredOptions options, RemoveBatch remove_batch) {
  if (options.batch_size == 0) co_return StoreErrc::invalid_argument;
  std::size_t removed = 0;
  for (;;) {
    if (co_await cancellation_requested()) {
      if (removed == 0) co_return StoreErrc::cancelled;
      break;
    }
    StoreResult<ExpiredBatch> batch = co_await remove_batch();
    if (!batch) {
      if (removed == 0 || batch.error() != StoreErrc::cancelled) co_return batch.error();
      break;
    }
    removed += batch->count;
    if (options.on_removed && !batch->sessions.empty()) options.on_removed(batch->sessions);
    if (batch->count < options.batch_size) break;
  }
  co_return removed;
}

}  // namespace gatehouse
