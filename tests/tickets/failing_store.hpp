// Test support: wraps a real store and, while `down` is set, answers every call `unavailable`
// as a store whose database cannot be reached would.
#pragma once

#include <gatehouse/session/user_session_store.hpp>

#include <atomic>
#include <memory>

namespace gatehouse::testing {

class SwitchableStore final : public UserSessionStore {
 public:
  explicit SwitchableStore(std::shared_ptr<UserSessionStore> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> down{false};

  boost::asio::awaitable<StoreResult<std::optional<UserSession>>> get_user_session(
      std::string key) override {
    if (down) co_return StoreErrc::unavailable;
    co_return co_await inner_->get_user_session(std::move(key));
  }
  boost::asio::awaitable<StoreResult<void>> create_user_session(UserSession s) override {
    if (down) co_return StoreErrc::unavailable;
    co_return co_await inner_->create_user_session(std::move(s));
  }
  boost::asio::awaitable<StoreResult<void>> update_user_session(std::string key,
                                                                UserSessionUpdate u) override {
    if (down) co_return StoreErrc::unavailable;
    co_return co_await inner_->update_user_session(std::move(key), std::move(u));
  }
  boost::asio::awaitable<StoreResult<void>> delete_user_session(std::string key) override {
    if (down) co_return StoreErrc::unavailable;
    co_return co_await inner_->delete_user_session(std::move(key));
  }
  boost::asio::awaitable<StoreResult<std::vector<UserSession>>> get_user_sessions(
      UserSessionsFilter f) override {
    if (down) co_return StoreErrc::unavailable;
    co_return co_await inner_->get_user_sessions(std::move(f));
  }
  boost::asio::awaitable<StoreResult<std::size_t>> delete_user_sessions(
      UserSessionsFilter f) override {
    if (down) co_return StoreErrc::unavailable;
    co_return co_await inner_->delete_user_sessions(std::move(f));
  }

 private:
  std::shared_ptr<UserSessionStore> inner_;
};

}  // namespace gatehouse::testing
