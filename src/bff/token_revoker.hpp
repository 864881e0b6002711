// Revokes refresh tokens at the provider (RFC 7009) when sessions end: a bounded queue drained by
// at most `max_concurrent` requests at a time, so a logout that ends a thousand sessions neither
// floods the provider nor holds up the response that triggered it.
//
// Threads: revoke() may be called from any coroutine; the queue is guarded by a mutex and the
// revocations run on the executor given at construction.
#pragma once

#include "oidc/oidc_client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gatehouse::bff {

struct TokenRevokerOptions {
  std::size_t max_concurrent = 4;
  std::size_t max_queued = 10000;  // beyond this, tokens are dropped (with a warning)
};

struct RevocationOutcome {
  std::size_t revoked = 0;  // confirmed by the provider within the wait
  std::size_t failed = 0;   // refused or unreachable within the wait
  std::size_t pending = 0;  // still queued or in flight when the wait ended
  std::size_t dropped = 0;  // not queued: the queue was full
};

class TokenRevoker : public std::enable_shared_from_this<TokenRevoker> {
 public:
  TokenRevoker(boost::asio::any_io_executor executor, std::shared_ptr<oidc::OidcClient> oidc,
               TokenRevokerOptions options = {});

  // Queues the tokens and waits until all of them are done or `wait` has passed, whichever comes
  // first; revocations still running then finish in the background. Does nothing when the
  // provider offers no revocation endpoint.
  boost::asio::awaitable<RevocationOutcome> revoke(std::vector<std::string> refresh_tokens,
                                                   std::chrono::milliseconds wait);

  std::size_t queued() const;
  // Whether revoke() would do anything: the provider publishes a revocation endpoint.
  bool enabled() const { return oidc_->can_revoke(); }

  struct Batch;

 private:
  struct Job {
    std::string token;
    std::shared_ptr<Batch> batch;
  };
  boost::asio::awaitable<void> work();

  boost::asio::any_io_executor executor_;
  std::shared_ptr<oidc::OidcClient> oidc_;
  TokenRevokerOptions options_;
  mutable std::mutex mutex_;
  std::deque<Job> queue_;
  std::size_t workers_ = 0;
};

}  // namespace gatehouse::bff
