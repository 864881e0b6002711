// What every store implementation needs besides the argument checks of
// user_session_validation.hpp: the spec's CancellationToken check and applying an update, so a
// custom store gives the same answers as the built-in ones without re-writing them.
#pragma once

#include <gatehouse/session/user_session.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <utility>

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

}  // namespace gatehouse
