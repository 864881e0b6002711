// The audit webhook: events POSTed as JSON arrays (audit/event_json.hpp objects), up to `batch`
// events at once and at least every `interval` while any wait. A failed POST (no connection, a
// timeout, 408, 429 or 5xx) is retried with exponential backoff, the batch kept in order; a
// batch the receiver refuses for good (any other 4xx) is dropped. The queue is bounded: past
// it new events are dropped. Drops are counted (dropped()) and logged at most every 10 s.
//
// Uses the gateway's HTTP client (http/client.hpp: certificates verified, bounded in time and
// size). Threads: publish() and the counters from any thread; the sender runs on a strand.
#pragma once

#include "events/session_events.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace gatehouse::audit {

struct AuditWebhookOptions {
  std::string url;                              // http(s)://...; the configuration checked it
  std::size_t queue = 10'000;                   // events waiting; beyond it new ones are dropped
  std::size_t batch = 100;                      // events per POST at most
  std::chrono::milliseconds interval{1000};     // a partial batch waits at most this long
  std::chrono::milliseconds first_retry{1000};  // then doubled after every failure...
  std::chrono::milliseconds max_retry{60'000};  // ...up to this
  std::chrono::milliseconds timeout{10'000};    // for one POST
  std::optional<std::string> ca_file;           // PEM bundle to trust (tests); else the system's
};

class AuditWebhookSink final : public events::SessionEventSink,
                               public std::enable_shared_from_this<AuditWebhookSink> {
 public:
  AuditWebhookSink(boost::asio::any_io_executor executor, AuditWebhookOptions options);

  void publish(const events::SessionEvent& event) noexcept override;

  // Starts the sender on a strand of the executor.
  void start();
  // Sends what is queued (one attempt per batch, no more retries) and stops the sender; returns
  // once it stopped or after `grace`. Events published later stay queued, never sent.
  boost::asio::awaitable<void> finish(std::chrono::milliseconds grace);

  std::uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t failed_posts() const { return failed_posts_.load(std::memory_order_relaxed); }
  std::size_t waiting() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
  AuditWebhookOptions options_;
  mutable std::mutex mutex_;
  std::deque<std::string> queue_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> sent_{0}, dropped_{0}, failed_posts_{0};

  boost::asio::awaitable<void> run();
  void wake();
  void count_dropped(std::size_t n, const char* why);
  // The next batch, taken off the queue.
  std::deque<std::string> take_batch();
  // Outcome of one POST.
  enum class Posted { ok, retry, refused };
  boost::asio::awaitable<Posted> post(const std::string& body);
};

}  // namespace gatehouse::audit
