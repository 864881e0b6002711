// Back-channel logouts the store could not take when they arrived. The delivery itself is
// refused (400, as OIDC Back-Channel Logout 2.8 requires, and its jti not kept, so the provider
// may retry); the logout is also kept here and applied as soon as the store answers again, so a
// logout is never silently lost because the store blinked.
//
// Bounded: at most `capacity` logouts wait; beyond that the oldest is dropped (logged and
// counted; the sessions it named still end at their expiry). The queue lives in this instance's
// memory only: a restart loses it (the provider's retries remain).
//
// Threads: add() from any thread; the retry loop runs on the executor given to start().
#pragma once

#include "bff/token_revoker.hpp"
#include "events/session_events.hpp"
#include "tickets/ticket_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse::bff {

// What a logout token asked for, before the store is consulted.
struct LogoutRequest {
  std::optional<std::string> subject;
  std::optional<std::string> session_id;
  bool all_user_sessions = false;  // [session] backchannel_all_user_sessions
};

// The filters a logout deletes by: sub AND sid (2.6), or every session of the subject (or of
// the subjects owning the sid, which needs the store).
boost::asio::awaitable<StoreResult<std::vector<UserSessionsFilter>>> logout_filters(
    const LogoutRequest& logout, UserSessionStore& store);

struct PendingLogoutOptions {
  std::size_t capacity = 10'000;
  // The sessions a queued logout ends are published here (reason backchannel); may be null.
  std::shared_ptr<const events::SessionEvents> events;
  std::chrono::milliseconds first_retry{1000};
  std::chrono::milliseconds max_retry{30'000};
};

class PendingLogouts : public std::enable_shared_from_this<PendingLogouts> {
 public:
  PendingLogouts(std::shared_ptr<tickets::TicketStore> tickets,
                 std::shared_ptr<TokenRevoker> revoker, PendingLogoutOptions options = {});

  void add(LogoutRequest logout);

  // Retries on `executor` until stop(); each logout leaves the queue once it was applied.
  void start(boost::asio::any_io_executor executor);
  void stop();

  std::size_t waiting() const;
  std::uint64_t applied() const { return applied_; }
  std::uint64_t dropped() const { return dropped_; }

  // One pass over the queue now (tests; the loop calls it): how many logouts were applied.
  boost::asio::awaitable<std::size_t> retry_now();

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<bool> apply(const LogoutRequest& logout);

  std::shared_ptr<tickets::TicketStore> tickets_;
  std::shared_ptr<TokenRevoker> revoker_;
  PendingLogoutOptions options_;
  mutable std::mutex mutex_;
  std::deque<LogoutRequest> queue_;
  std::atomic<std::uint64_t> applied_{0}, dropped_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace gatehouse::bff
