#include "bff/pending_logouts.hpp"

#include "bff/session_audit.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <set>

namespace gatehouse::bff {

boost::asio::awaitable<StoreResult<std::vector<UserSessionsFilter>>> logout_filters(
    const LogoutRequest& logout, UserSessionStore& store) {
  std::vector<UserSessionsFilter> filters;
  if (!logout.all_user_sessions) {
    filters.push_back({.subject_id = logout.subject, .session_id = logout.session_id});
  } else if (logout.subject) {
    filters.push_back({.subject_id = logout.subject});
  } else {
    UserSessionsFilter by_sid{.session_id = logout.session_id};
    auto owners = co_await store.get_user_sessions(by_sid);
    if (!owners) co_return owners.error();
    std::set<std::string> subjects;
    for (const auto& s : *owners) subjects.insert(s.subject_id);
    for (const auto& subject : subjects) filters.push_back({.subject_id = subject});
  }
  co_return filters;
}

PendingLogouts::PendingLogouts(std::shared_ptr<tickets::TicketStore> tickets,
                               std::shared_ptr<TokenRevoker> revoker, PendingLogoutOptions options)
    : tickets_(std::move(tickets)), revoker_(std::move(revoker)), options_(options) {}

void PendingLogouts::add(LogoutRequest logout) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(logout));
  if (queue_.size() > options_.capacity) {
    queue_.pop_front();
    ++dropped_;
    spdlog::warn("back-channel logout queue full ({}): dropped the oldest waiting logout",
                 options_.capacity);
  }
}

std::size_t PendingLogouts::waiting() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void PendingLogouts::start(boost::asio::any_io_executor executor) {
  boost::asio::co_spawn(
      boost::asio::make_strand(std::move(executor)),
      [self = shared_from_this()] { return self->loop(); }, boost::asio::detached);
}

void PendingLogouts::stop() {
  stopped_ = true;
}

boost::asio::awaitable<bool> PendingLogouts::apply(const LogoutRequest& logout) {
  auto filters = co_await logout_filters(logout, *tickets_->store());
  if (!filters) co_return false;
  const bool revocable = revoker_ && revoker_->enabled();
  const bool audited = listening(options_.events.get());
  std::size_t ended = 0;
  std::vector<std::string> refresh_tokens;
  for (auto& filter : *filters) {
    auto result = co_await tickets_->end_sessions(filter, revocable, audited);
    if (!result) co_return false;  // deleting again later is harmless
    ended += result->count;
    // Nobody's request caused this one: the provider's was refused while the store was down.
    publish_ended(options_.events.get(), *result, filter, events::EndReason::backchannel,
                  events::Actor::provider, nullptr);
    for (auto& t : result->refresh_tokens) refresh_tokens.push_back(std::move(t));
  }
  spdlog::info("back-channel logout applied once the store was back: ended {} session(s)", ended);
  const std::chrono::milliseconds in_background{0};  // nobody waits for this answer
  if (!refresh_tokens.empty()) co_await revoker_->revoke(std::move(refresh_tokens), in_background);
  co_return true;
}

boost::asio::awaitable<std::size_t> PendingLogouts::retry_now() {
  std::size_t done = 0;
  for (;;) {
    std::optional<LogoutRequest> next;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) break;
      next = queue_.front();
    }
    if (!co_await apply(*next)) break;  // the store is still down: keep the rest for later
    {
      std::lock_guard lock(mutex_);
      if (!queue_.empty()) queue_.pop_front();
    }
    ++applied_;
    ++done;
  }
  co_return done;
}

boost::asio::awaitable<void> PendingLogouts::loop() {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  auto delay = options_.first_retry;
  while (!stopped_) {
    timer.expires_after(delay);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (stopped_) co_return;
    if (waiting() == 0) {
      delay = options_.first_retry;
      continue;
    }
    co_await retry_now();
    delay = waiting() == 0 ? options_.first_retry : std::min(delay * 2, options_.max_retry);
  }
}

}  // namespace gatehouse::bff
