// Test support: the conformance suites' Traits for the Redis store, on one server or on a
// three-master cluster, each started once per test process. Every Traits object (one per test)
// writes under a prefix of its own, so tests sharing a server never meet.
//
// hold_writes() is a real outage: the servers stop, and once every engine has seen its
// connections go, writes wait in the engines, unsent; the guard starts the servers again.
#pragma once

#include <gatehouse/stores/redis_user_session_store.hpp>

#include "stores/redis/redis_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace gatehouse::testing {

class RedisTraitsBase {
 public:
  static constexpr std::chrono::milliseconds timeout{10000};

  static std::string next_prefix() {
    static std::atomic<int> counter{0};
    return "t" + std::to_string(counter++);
  }

  std::shared_ptr<RedisUserSessionStore> open_at(const std::string& url,
                                                 const UserSessionStoreContext& context) {
    auto store = std::make_shared<RedisUserSessionStore>(
        context, RedisStoreOptions{.url = url, .prefix = prefix, .timeout = timeout});
    opened_.push_back(store);
    return store;
  }

  // Until every engine this object opened has noticed that its servers went away.
  void wait_until_disconnected() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (auto& weak : opened_) {
      auto store = weak.lock();
      while (store && store->statistics().connections_ready != 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          ADD_FAILURE() << "an engine never noticed its server stopped";
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  }

  std::string prefix = next_prefix();

 private:
  std::vector<std::weak_ptr<RedisUserSessionStore>> opened_;
};

struct RedisTraits : RedisTraitsBase {
  static RedisServer& server() {
    static RedisServer one;
    return one;
  }

  std::shared_ptr<UserSessionStore> open(const UserSessionStoreContext& context) {
    return open_at(server().url(), context);
  }

  std::shared_ptr<void> hold_writes() {
    server().stop();
    wait_until_disconnected();
    return std::shared_ptr<RedisServer>(&server(), [](RedisServer* s) { s->start(); });
  }
};

struct RedisClusterTraits : RedisTraitsBase {
  static RedisCluster& cluster() {
    static RedisCluster three;
    return three;
  }

  std::shared_ptr<UserSessionStore> open(const UserSessionStoreContext& context) {
    return open_at(cluster().url(), context);
  }

  std::shared_ptr<void> hold_writes() {
    cluster().stop_all();
    wait_until_disconnected();
    return std::shared_ptr<RedisCluster>(&cluster(), [](RedisCluster* c) { c->start_all(); });
  }
};

// Base's stores with their engines attached (UserSessionStoreContext::executor) to an io_context
// two threads run, as a gateway's io threads do: the Core on a strand there, the suites' callers
// on their own context.
template <class Base>
struct Attached : Base {
  Attached() {
    for (int n = 0; n < 2; ++n) threads_.emplace_back([this] { io_.run(); });
  }
  ~Attached() {
    // The fixture's stores are gone: their engines have posted their shutdown.
    guard_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }
  Attached(const Attached&) = delete;
  Attached& operator=(const Attached&) = delete;

  std::shared_ptr<UserSessionStore> open(const UserSessionStoreContext& context) {
    auto attached = context;
    attached.executor = io_.get_executor();
    return Base::open(attached);
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      io_.get_executor()};
  std::vector<std::thread> threads_;
};

using RedisAttachedTraits = Attached<RedisTraits>;
using RedisClusterAttachedTraits = Attached<RedisClusterTraits>;

}  // namespace gatehouse::testing
