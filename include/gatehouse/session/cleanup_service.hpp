// Runs delete-expired on an interval, one run at a time, and stops promptly on shutdown.
#pragma once

#include <gatehouse/session/user_session_store.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace gatehouse {

// Several instances sharing one store take turns: a round runs only where the turn was taken,
// the others skip it (and say so at debug level).
class CleanupTurns {
 public:
  virtual ~CleanupTurns() = default;
  // True: this instance runs this round. False: another one does (or nobody could tell: skip).
  virtual boost::asio::awaitable<bool> take_turn() = 0;
};

struct CleanupServiceOptions {
  std::chrono::milliseconds interval = std::chrono::minutes(10);
  std::size_t batch_size = 1000;
  std::shared_ptr<CleanupTurns> turns;  // null: every round runs here
  // What the partition holds, for the log line ("session cleanup removed 3 expired sessions").
  std::string what = "sessions";
  // When set, called with the sessions each batch of a cleanup removed (the loop's and
  // run_once()'s), once the batch committed, where the cleanup runs (its strand, or run_once()'s
  // caller): DeleteExpiredOptions::on_removed. Must be short and must not block or throw.
  std::function<void(std::span<const ExpiredSession> removed)> on_deleted;
};

class UserSessionCleanupService {
 public:
  UserSessionCleanupService(boost::asio::any_io_executor executor,
                            std::shared_ptr<UserSessionStoreCleanup> cleanup,
                            CleanupServiceOptions options = {});
  // Stops the loop (see stop()).
  ~UserSessionCleanupService();
  UserSessionCleanupService(const UserSessionCleanupService&) = delete;
  UserSessionCleanupService& operator=(const UserSessionCleanupService&) = delete;

  // Starts the loop on the executor: a cleanup every `interval`, the first one interval from now.
  void start();
  // Cancels the timer and any cleanup in flight (between batches); safe from any thread.
  void stop();
  // Runs one cleanup now, on the caller's executor, whoever has the turn (an operator asked for
  // it); logs and returns how many were removed.
  boost::asio::awaitable<StoreResult<std::size_t>> run_once();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace gatehouse
