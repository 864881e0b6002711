// Shared by the admin API tests: the API over a real store (in-memory or SQLite, behind a
// SwitchableStore for outages), a hand-moved clock, and requests as the HTTP server builds them.
#pragma once

#include "admin/admin_api.hpp"

#include <gatehouse/stores/memory_user_session_store.hpp>
#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include "crypto/key_ring.hpp"
#include "support/run.hpp"
#include "support/temp_dir.hpp"
#include "tickets/failing_store.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <optional>
#include <string>

namespace gatehouse::testing {

inline constexpr std::string_view admin_token = "0123456789abcdef0123456789abcdef-admin";

// The API's options as the gateway passes them: the token, a key ring for cursors, a batch size.
inline admin::AdminApiOptions admin_options(
    std::shared_ptr<const crypto::KeyRing> keys =
        std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate())) {
  return {.token = std::string(admin_token), .cursor_keys = std::move(keys), .cleanup_batch = 100};
}

struct MemoryBackend {
  static std::shared_ptr<InMemoryUserSessionStore> make(const TempDir&, Clock clock) {
    return std::make_shared<InMemoryUserSessionStore>(
        InMemoryUserSessionStoreOptions{.partition = "app", .clock = std::move(clock)});
  }
};

struct SqliteBackend {
  static std::shared_ptr<SqliteUserSessionStore> make(const TempDir& dir, Clock clock) {
    return std::make_shared<SqliteUserSessionStore>(SqliteUserSessionStoreOptions{
        .path = dir.file("sessions.db"), .partition = "app", .clock = std::move(clock)});
  }
};

// `Authorization` header value; nullopt sends none.
inline http::Request admin_request(
    std::string method, std::string target,
    std::optional<std::string> authorization = "Bearer " + std::string(admin_token)) {
  http::Request r;
  r.method = std::move(method);
  r.target = target;
  const auto q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string::npos ? "" : target.substr(q + 1);
  r.remote_address = "127.0.0.1";
  if (authorization) r.headers.emplace_back("Authorization", *authorization);
  return r;
}

template <class Backend>
class AdminApiFixture : public ::testing::Test {
 protected:
  ManualClock clock_;
  TempDir dir_;
  boost::asio::io_context io_;
  std::shared_ptr<UserSessionStoreCleanup> cleanup_ = Backend::make(dir_, clock_.clock());
  std::shared_ptr<SwitchableStore> store_ =
      std::make_shared<SwitchableStore>(std::dynamic_pointer_cast<UserSessionStore>(cleanup_));
  admin::AdminApi api_{admin_options(), store_, cleanup_, nullptr, clock_.clock()};

  http::Response call(std::string method, std::string target,
                      std::optional<std::string> authorization = "Bearer " +
                                                                 std::string(admin_token)) {
    auto request = admin_request(std::move(method), std::move(target), std::move(authorization));
    return run(io_, api_.handle(request));
  }

  static boost::json::object body(const http::Response& r) {
    return boost::json::parse(r.body).as_object();
  }

  // A stored session of `subject` that ends `lifetime` from now.
  void add(std::string key, std::string subject, std::optional<std::string> sid,
           std::chrono::milliseconds lifetime = std::chrono::hours(1)) {
    UserSession s{.key = std::move(key),
                  .partition_key = "app",
                  .subject_id = std::move(subject),
                  .session_id = std::move(sid),
                  .created = clock_.now(),
                  .renewed = clock_.now(),
                  .expires = clock_.now() + lifetime,
                  .ticket = "sealed-ticket"};
    ASSERT_TRUE(run(io_, store_->create_user_session(std::move(s))));
  }

  std::size_t count(UserSessionsFilter filter) {
    auto found = run(io_, store_->get_user_sessions(std::move(filter)));
    EXPECT_TRUE(found);
    return found ? found->size() : 0;
  }
};

}  // namespace gatehouse::testing
