#include "bff/token_revoker.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>

namespace gatehouse::bff {

struct TokenRevoker::Batch {
  std::atomic<std::size_t> remaining{0};
  std::atomic<std::size_t> revoked{0};
  std::atomic<std::size_t> failed{0};
  std::shared_ptr<boost::asio::steady_timer> done;  // on the waiter's executor

  // Wakes the waiter. Moving the expiry into the past (rather than cancel()) also covers a
  // waiter that has not started waiting yet: its wait then completes at once.
  void finish_one() {
    if (--remaining != 0) return;
    boost::asio::post(done->get_executor(), [done = done] {
      done->expires_at(boost::asio::steady_timer::time_point::min());
    });
  }
};

TokenRevoker::TokenRevoker(boost::asio::any_io_executor executor,
                           std::shared_ptr<oidc::OidcClient> oidc, TokenRevokerOptions options)
    : executor_(std::move(executor)), oidc_(std::move(oidc)), options_(options) {
  if (options_.max_concurrent == 0) options_.max_concurrent = 1;
}

std::size_t TokenRevoker::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

boost::asio::awaitable<RevocationOutcome> TokenRevoker::revoke(std::vector<std::string> tokens,
                                                               std::chrono::milliseconds wait) {
  RevocationOutcome outcome;
  if (tokens.empty() || !oidc_->can_revoke()) co_return outcome;
  auto batch = std::make_shared<Batch>();
  batch->done =
      std::make_shared<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor);
  batch->done->expires_after(wait);
  std::size_t start = 0;
  {
    std::lock_guard lock(mutex_);
    for (auto& token : tokens) {
      if (queue_.size() >= options_.max_queued) {
        ++outcome.dropped;
        continue;
      }
      queue_.push_back(Job{std::move(token), batch});
      ++batch->remaining;
    }
    while (workers_ < options_.max_concurrent && workers_ < queue_.size()) {
      ++workers_;
      ++start;
    }
  }
  if (outcome.dropped)
    spdlog::warn(
        "revocation queue full: {} refresh tokens not revoked (they expire at the "
        "provider by themselves)",
        outcome.dropped);
  for (std::size_t i = 0; i < start; ++i)
    boost::asio::co_spawn(boost::asio::make_strand(executor_), work(), boost::asio::detached);
  if (batch->remaining != 0) {
    boost::system::error_code ec;
    co_await batch->done->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
  outcome.revoked = batch->revoked;
  outcome.failed = batch->failed;
  outcome.pending = batch->remaining;
  co_return outcome;
}

boost::asio::awaitable<void> TokenRevoker::work() {
  auto self = shared_from_this();  // queued work outlives the caller that queued it
  for (;;) {
    Job job;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) {
        --workers_;
        co_return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    bool revoked = false;
    try {
      revoked = static_cast<bool>(co_await oidc_->revoke_refresh_token(std::move(job.token)));
    } catch (const std::exception& e) {  // e.g. shutting down: count it, keep the books right
      spdlog::warn("refresh token revocation aborted: {}", e.what());
    }
    if (revoked)
      ++job.batch->revoked;
    else
      ++job.batch->failed;  // the client logged why
    job.batch->finish_one();
  }
}

}  // namespace gatehouse::bff
