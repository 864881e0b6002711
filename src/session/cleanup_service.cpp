#include <gatehouse/session/cleanup_service.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace gatehouse {

struct UserSessionCleanupService::State {
  boost::asio::any_io_executor executor;
  std::shared_ptr<UserSessionStoreCleanup> cleanup;
  CleanupServiceOptions options;
  boost::asio::cancellation_signal stop_signal;  // touched only on `executor`
  bool stopped = false;
};

namespace {

boost::asio::awaitable<StoreResult<std::size_t>> cleanup_once(
    std::shared_ptr<UserSessionCleanupService::State> state) {
  const auto started = std::chrono::steady_clock::now();
  // Named: g++ 12 destroys a temporary argument in a co_await twice (on_removed is a function).
  DeleteExpiredOptions options{.batch_size = state->options.batch_size,
                               .on_removed = state->options.on_deleted};
  auto removed = co_await state->cleanup->delete_expired_sessions(std::move(options));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  if (removed) {
    spdlog::info("session cleanup removed {} expired {} in {} ms", *removed, state->options.what,
                 ms);
  } else if (removed.error() != StoreErrc::cancelled)
    spdlog::warn("session cleanup of {} failed after {} ms: {}", state->options.what, ms,
                 removed.error().message());
  co_return removed;
}

boost::asio::awaitable<void> cleanup_loop(std::shared_ptr<UserSessionCleanupService::State> state) {
  boost::asio::steady_timer timer(state->executor);
  for (;;) {
    timer.expires_after(state->options.interval);
    boost::system::error_code ec;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec || state->stopped) co_return;
    if (state->options.turns && !co_await state->options.turns->take_turn()) {
      spdlog::debug("session cleanup: another instance has this round");
      continue;
    }
    auto removed = co_await cleanup_once(state);
    if (!removed && removed.error() == StoreErrc::cancelled) co_return;
  }
}

}  // namespace

UserSessionCleanupService::UserSessionCleanupService(
    boost::asio::any_io_executor executor, std::shared_ptr<UserSessionStoreCleanup> cleanup,
    CleanupServiceOptions options)
    : state_(std::make_shared<State>()) {
  if (!cleanup) throw std::invalid_argument("cleanup service needs a store cleanup");
  if (options.interval <= std::chrono::milliseconds::zero() || options.batch_size == 0)
    throw std::invalid_argument("cleanup interval and batch size must be positive");
  // A strand of its own: the loop, start() and stop() never run at once on a multi-threaded
  // io_context.
  state_->executor = boost::asio::make_strand(std::move(executor));
  state_->cleanup = std::move(cleanup);
  state_->options = options;
}

UserSessionCleanupService::~UserSessionCleanupService() {
  stop();
}

void UserSessionCleanupService::start() {
  boost::asio::dispatch(state_->executor, [state = state_] {
    if (state->stopped) return;
    boost::asio::co_spawn(
        state->executor, cleanup_loop(state),
        boost::asio::bind_cancellation_slot(state->stop_signal.slot(), boost::asio::detached));
  });
}

void UserSessionCleanupService::stop() {
  boost::asio::dispatch(state_->executor, [state = state_] {
    state->stopped = true;
    state->stop_signal.emit(boost::asio::cancellation_type::terminal);
  });
}

boost::asio::awaitable<StoreResult<std::size_t>> UserSessionCleanupService::run_once() {
  return cleanup_once(state_);
}

}  // namespace gatehouse
