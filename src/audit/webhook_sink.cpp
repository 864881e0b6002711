#include "audit/webhook_sink.hpp"

#include "audit/event_json.hpp"
#include "audit/log_throttle.hpp"
#include "http/client.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace gatehouse::audit {

namespace asio = boost::asio;

struct AuditWebhookSink::State {
  explicit State(asio::any_io_executor executor)
      : io(executor), strand(asio::make_strand(executor)), timer(strand) {}
  asio::any_io_executor io;  // runs the HTTP client's socket and timer
  asio::strand<asio::any_io_executor> strand;
  asio::steady_timer timer;        // the sender's waits; touched only on the strand
  bool waiting_for_batch = false;  // on the strand: a full batch may cut the wait short
  std::atomic<bool> done{false};
  LogThrottle failure_lines;
  LogThrottle drop_lines;
};

AuditWebhookSink::AuditWebhookSink(asio::any_io_executor executor, AuditWebhookOptions options)
    : state_(std::make_shared<State>(std::move(executor))), options_(std::move(options)) {
  options_.batch = std::max<std::size_t>(options_.batch, 1);
}

std::size_t AuditWebhookSink::waiting() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void AuditWebhookSink::count_dropped(std::size_t n, const char* why) {
  const auto total = dropped_.fetch_add(n, std::memory_order_relaxed) + n;
  if (state_->drop_lines.allow())
    spdlog::warn("audit webhook: {} event(s) dropped ({}); {} dropped in all", n, why, total);
}

void AuditWebhookSink::publish(const events::SessionEvent& event) noexcept {
  bool queued = false;
  bool full_batch = false;
  try {
    auto line = event_json(event);
    std::lock_guard lock(mutex_);
    if (queue_.size() < options_.queue) {
      queue_.push_back(std::move(line));
      queued = true;
      full_batch = queue_.size() == options_.batch;
    }
  } catch (...) {  // out of memory: lost, and counted
  }
  if (!queued) {
    count_dropped(1, "queue full");
    return;
  }
  if (full_batch) wake();
}

void AuditWebhookSink::wake() {
  try {
    asio::post(state_->strand, [state = state_] {
      if (state->waiting_for_batch) state->timer.cancel();
    });
  } catch (...) {  // the batch goes at the end of the interval instead
  }
}

void AuditWebhookSink::start() {
  asio::co_spawn(
      state_->strand, [self = shared_from_this()] { return self->run(); }, asio::detached);
}

std::deque<std::string> AuditWebhookSink::take_batch() {
  std::lock_guard lock(mutex_);
  const auto n = std::min(queue_.size(), options_.batch);
  std::deque<std::string> batch(std::make_move_iterator(queue_.begin()),
                                std::make_move_iterator(queue_.begin() + n));
  queue_.erase(queue_.begin(), queue_.begin() + n);
  return batch;
}

asio::awaitable<AuditWebhookSink::Posted> AuditWebhookSink::post(const std::string& body) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = options_.url;
  request.headers = {{"Content-Type", "application/json"}, {"User-Agent", "gatehouse-audit"}};
  request.body = body;
  request.timeout = options_.timeout;
  request.max_body = 64 * 1024;
  request.ca_file = options_.ca_file;
  auto answer = co_await http::fetch(state_->io, std::move(request));
  if (!answer) {
    if (state_->failure_lines.allow())
      spdlog::warn("audit webhook: POST failed: {}; retrying", answer.error().message());
    co_return Posted::retry;
  }
  const int status = answer->status;
  if (status >= 200 && status < 300) co_return Posted::ok;
  if (status == 408 || status == 429 || status >= 500) {
    if (state_->failure_lines.allow())
      spdlog::warn("audit webhook: POST answered {}; retrying", status);
    co_return Posted::retry;
  }
  spdlog::error("audit webhook: POST refused with {}; the batch is dropped", status);
  co_return Posted::refused;
}

asio::awaitable<void> AuditWebhookSink::run() {
  auto& state = *state_;
  for (;;) {
    if (!stopping_ && waiting() < options_.batch) {
      state.timer.expires_after(options_.interval);
      state.waiting_for_batch = true;
      co_await state.timer.async_wait(asio::as_tuple(asio::use_awaitable));
      state.waiting_for_batch = false;
    }
    auto lines = take_batch();
    if (lines.empty()) {
      if (stopping_) break;
      continue;
    }
    std::string body = "[";
    for (const auto& line : lines) {
      if (body.size() > 1) body += ',';
      body += line;
    }
    body += ']';
    for (auto delay = options_.first_retry;;) {
      const auto posted = co_await post(body);
      if (posted == Posted::ok) {
        sent_.fetch_add(lines.size(), std::memory_order_relaxed);
        break;
      }
      if (posted == Posted::refused) {
        count_dropped(lines.size(), "refused by the receiver");
        break;
      }
      failed_posts_.fetch_add(1, std::memory_order_relaxed);
      if (stopping_) {
        count_dropped(lines.size(), "not delivered at shutdown");
        break;
      }
      state.timer.expires_after(delay);
      co_await state.timer.async_wait(asio::as_tuple(asio::use_awaitable));
      delay = std::min(delay * 2, options_.max_retry);
    }
  }
  state.done = true;
}

asio::awaitable<void> AuditWebhookSink::finish(std::chrono::milliseconds grace) {
  stopping_ = true;
  asio::post(state_->strand, [state = state_] { state->timer.cancel(); });
  asio::steady_timer poll(co_await asio::this_coro::executor);
  const auto until = std::chrono::steady_clock::now() + grace;
  while (!state_->done && std::chrono::steady_clock::now() < until) {
    poll.expires_after(std::chrono::milliseconds(20));
    co_await poll.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

}  // namespace gatehouse::audit
