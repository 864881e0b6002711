// The operators' HTTP API, served on its own listener (`[admin] listen`) behind a bearer token:
// the `gatehouse sessions list|revoke|cleanup` commands as JSON.
//
//   GET    /admin/sessions?sub=S&sid=I    -> {"sessions": [...]}  (sub and/or sid; both = AND)
//   GET    /admin/sessions?limit=N&after=C -> {"sessions": [...], "next": C | null}  (every
//                                             session, one page; stores that implement
//                                             UserSessionStoreListing, else 400)
//   DELETE /admin/sessions?sub=S&sid=I    -> {"revoked": n}
//   DELETE /admin/sessions?expired=true   -> {"revoked": n}       (every expired session)
//   POST   /admin/cleanup                 -> {"removed": n}
//
// Every response is JSON with `Cache-Control: no-store`; failures are {"error": "reason"}.
// Every call goes to the store itself (nothing is cached here or in the session layer), so a
// revocation holds from the very next request on every instance sharing the store.
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/user_session_store.hpp>

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
  // Seals the listing's page cursors, so a cursor the API did not hand out is refused (400) and
  // a cursor reveals no store key. Required.
  std::shared_ptr<const crypto::KeyRing> cursor_keys;
  std::size_t cleanup_batch = 1000;  // rows per batch when removing expired sessions
  // Ends the sessions a revoke selects and returns how many; empty: the store's
  // delete_user_sessions. The gateway also revokes their refresh tokens at the provider here.
  std::function<boost::asio::awaitable<StoreResult<std::size_t>>(UserSessionsFilter)> end_sessions;
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
  boost::asio::awaitable<http::Response> remove_expired(const http::Request& request,
                                                        const char* count_name);

  std::string token_digest_;  // SHA-256 of the token: comparisons never depend on its length
  std::shared_ptr<const crypto::KeyRing> cursor_keys_;
  std::size_t cleanup_batch_;
  std::function<boost::asio::awaitable<StoreResult<std::size_t>>(UserSessionsFilter)> end_sessions_;
  std::shared_ptr<UserSessionStore> store_;
  std::shared_ptr<UserSessionStoreCleanup> cleanup_;
  std::shared_ptr<UserSessionStoreListing> listing_;
  Clock clock_;
};

}  // namespace gatehouse::admin
