// The fixture every store conformance suite shares: a store opened through a Traits type on a
// Traits-owned database, a hand-moved clock, and helpers that run operations to completion.
//
//   struct MyTraits {
//     // A store bound to context.partition on this Traits object's one database.
//     std::shared_ptr<gatehouse::UserSessionStore> open(const gatehouse::UserSessionStoreContext&);
//     // Optional: while the returned guard lives, writes queue but do not run (so cancellation
//     // in flight can be observed). Stores that complete inline have none.
//     std::shared_ptr<void> hold_writes();
//   };
#pragma once

#include <gatehouse/session/user_session_store.hpp>
#include <gatehouse/session/user_session_validation.hpp>

#include "support/run.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace gatehouse::testing {

inline UserSession make_session(std::string key, std::string subject,
                                std::optional<std::string> sid, Timestamp now) {
  UserSession s;
  s.key = std::move(key);
  s.subject_id = std::move(subject);
  s.session_id = std::move(sid);
  s.created = now;
  s.renewed = now;
  s.expires = now + std::chrono::hours(1);
  s.ticket = "ticket-of-" + s.key;
  return s;
}

inline std::vector<std::string> keys_of(std::vector<UserSession> sessions) {
  std::vector<std::string> keys;
  for (auto& s : sessions) keys.push_back(s.key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

template <class Traits>
class StoreFixture : public ::testing::Test {
 public:  // the suites' free helpers use them too
  std::shared_ptr<UserSessionStore> open(std::string partition) {
    return traits_.open(UserSessionStoreContext{std::move(partition), clock_.clock()});
  }

  template <class T>
  T run(boost::asio::awaitable<T> aw) {
    return testing::run(io_, std::move(aw));
  }

  std::optional<UserSession> get(const std::string& key, UserSessionStore* s = nullptr) {
    auto r = run((s ? s : store_.get())->get_user_session(key));
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r ? *r : std::nullopt;
  }

  boost::system::error_code create(const UserSession& session, UserSessionStore* s = nullptr) {
    auto r = run((s ? s : store_.get())->create_user_session(session));
    return r ? boost::system::error_code{} : r.error();
  }

  std::vector<std::string> query(UserSessionsFilter f, UserSessionStore* s = nullptr) {
    auto r = run((s ? s : store_.get())->get_user_sessions(std::move(f)));
    EXPECT_TRUE(r.has_value()) << r.error().message();
    return r ? keys_of(*r) : std::vector<std::string>{};
  }

  UserSessionStoreCleanup& cleanup(UserSessionStore* s = nullptr) {
    auto* c = dynamic_cast<UserSessionStoreCleanup*>(s ? s : store_.get());
    if (!c) throw std::logic_error("store does not implement UserSessionStoreCleanup");
    return *c;
  }

  UserSession session(std::string key, std::string subject = "alice",
                      std::optional<std::string> sid = std::nullopt) {
    if (!sid) sid = "sid-" + key;
    return make_session(std::move(key), std::move(subject), std::move(sid), clock_.now());
  }

  Traits traits_;
  ManualClock clock_;
  boost::asio::io_context io_;
  std::shared_ptr<UserSessionStore> store_ = open("app");
};

}  // namespace gatehouse::testing
