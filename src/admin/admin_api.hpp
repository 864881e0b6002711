// The operators' HTTP API, served on its own listener (`[admin] listen`) behind a bearer token:
// the `gatehouse sessions list|revoke|cleanup` commands as JSON.
//
//   GET    /admin/sessions?sub=S&sid=I    -> {"sessions": [...]}  (sub and/or sid; both = AND)
//   GET    /admin/sessions?limit=N&after=C -> {"sessions": [...], "next": C | null}  (every
//                                             session, one page; stores that implement
//                                             UserSessionStoreListing, else 400)
//   GET    /admin/sessions?sub=S&id=X     -> {"sessions": [...]}  (only the one with that id)
//   DELETE /admin/sessions?sub=S&sid=I    -> {"revoked": n}
//   DELETE /admin/sessions?sub=S&id=X     -> {"revoked": 1}       (exactly that session: 404 when
//                                             none of S's sessions has id X, 409 when several)
//   DELETE /admin/sessions?expired=true   -> {"revoked": n}       (every expired session)
//   POST   /admin/cleanup                 -> {"removed": n}
//   GET    /admin/keys                    -> {"active": kid, "keys": [{"kid", "created"}]}
//   GET    /metrics                       -> Prometheus text format 0.0.4 (when options.metrics)
//   GET    /admin/, /admin/app.js, ...    -> the admin web page (admin_page.hpp), without the token
//
// `id` is a session's operator id (session_json.hpp), always with `sub` and/or `sid`: the store
// is searched by those, and the id picks one of what they find.
// Every API response is JSON with `Cache-Control: no-store`; failures are {"error": "reason"}.
// Every call goes to the store itself (nothing is cached here or in the session layer), so a
// revocation holds from the very next request on every instance sharing the store.
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/user_session_store.hpp>

#include "events/session_events.hpp"
#include "http/message.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace gatehouse::crypto {
class KeyRing;
}

namespace gatehouse::admin {

struct AdminApiOptions {
  std::string token;  // the bearer token; required, never logged or echoed
  // The gateway's key ring: seals the listing's page cursors, so a cursor the API did not hand out
  // is refused (400) and a cursor reveals no store key; GET /admin/keys lists its key ids; the
  // listings open tickets with it for each session's device and address. Required.
  std::shared_ptr<const crypto::KeyRing> cursor_keys;
  std::size_t cleanup_batch = 1000;  // rows per batch when removing expired sessions
  // Ends the sessions a revoke selects and returns how many; empty: the store's
  // delete_user_sessions. The gateway also revokes their refresh tokens at the provider here.
  std::function<boost::asio::awaitable<StoreResult<std::size_t>>(UserSessionsFilter)> end_sessions;
  // Ends the one session a revoke by id selects (as read from the store) and returns how many
  // sessions went (1; deleting one that ended meanwhile succeeds too); empty: the store's
  // delete_user_session. The gateway also revokes its refresh token at the provider here.
  std::function<boost::asio::awaitable<StoreResult<std::size_t>>(UserSession)> end_session;
  // Every successful operator action (list, revoke, cleanup) is published here as an
  // admin_action event; null: not published. The sessions a revoke ends are published by
  // end_sessions/end_session (the gateway's), a cleanup's here, one event per session (reason
  // expired, actor admin).
  std::shared_ptr<const events::SessionEvents> events;
  // GET /metrics: the Prometheus text (exposition format 0.0.4); empty: 404.
  std::function<std::string()> metrics;
};

class AdminApi {
 public:
  // `cleanup` may be null (a store without cleanup): the expired-session calls then answer 503.
  // `listing` may be null (a store that cannot list): listing without sub/sid answers 400.
  // Throws std::invalid_argument for an empty token, no cursor keys or a null store.
  AdminApi(AdminApiOptions options, std::shared_ptr<UserSessionStore> store,
           std::shared_ptr<UserSessionStoreCleanup> cleanup,
           std::shared_ptr<UserSessionStoreListing> listing, Clock clock = system_clock());

  // Answers any request (404 for unknown paths). Completes on the awaiting coroutine's
  // executor, as the store operations do.
  boost::asio::awaitable<http::Response> handle(http::Request& request);

 private:
  bool authorized(const http::Request& request) const;
  boost::asio::awaitable<http::Response> list(const http::Request& request);
  boost::asio::awaitable<http::Response> list_page(const std::optional<std::string>& limit,
                                                   const std::optional<std::string>& after);
  boost::asio::awaitable<http::Response> revoke(const http::Request& request);
  boost::asio::awaitable<http::Response> revoke_one(const http::Request& request,
                                                    const UserSessionsFilter& filter,
                                                    const std::string& id);
  http::Response keys() const;
  boost::asio::awaitable<http::Response> remove_expired(const http::Request& request,
                                                        const char* count_name);
  // Publishes an admin_action event for `request` (no-op without subscribers).
  void audit(const http::Request& request, const char* action, const UserSessionsFilter* filter,
             std::size_t count) const;

  std::string token_digest_;  // SHA-256 of the token: comparisons never depend on its length
  std::shared_ptr<const crypto::KeyRing> cursor_keys_;
  std::size_t cleanup_batch_;
  std::function<boost::asio::awaitable<StoreResult<std::size_t>>(UserSessionsFilter)> end_sessions_;
  std::function<boost::asio::awaitable<StoreResult<std::size_t>>(UserSession)> end_session_;
  std::shared_ptr<UserSessionStore> store_;
  std::shared_ptr<UserSessionStoreCleanup> cleanup_;
  std::shared_ptr<UserSessionStoreListing> listing_;
  std::shared_ptr<const events::SessionEvents> events_;
  Clock clock_;
  std::function<std::string()> metrics_;
};

}  // namespace gatehouse::admin
