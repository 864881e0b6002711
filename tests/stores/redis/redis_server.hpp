// Test support: real redis-server processes on loopback, each with a config file in a temp dir of
// its own (appendonly yes, appendfsync always, no RDB saves), killed and removed when the object
// goes — and by the kernel if the test process dies first (PR_SET_PDEATHSIG).
#pragma once

#include "stores/redis/redis_reply.hpp"
#include "support/temp_dir.hpp"

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gatehouse::testing {

class RedisServer {
 public:
  // Picks free ports and starts the server (cluster: with cluster-enabled, no slots yet).
  explicit RedisServer(bool cluster = false);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  void start();  // on the same port and directory; returns once it answers PING
  void stop();   // SIGTERM and wait: Redis flushes its AOF and exits
  void kill9();  // SIGKILL and wait

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "redis://" + address(); }

  // One command over a blocking connection of its own (setup and inspection). Throws when the
  // server cannot be reached.
  redis::Reply command(const std::vector<std::string>& args) const;

 private:
  void write_config() const;
  void wait_until_answering();

  TempDir dir_;
  bool cluster_;
  std::uint16_t port_ = 0;
  std::uint16_t bus_port_ = 0;
  pid_t pid_ = -1;
};

// Three masters, no replicas, made a cluster by `redis-cli --cluster create`.
class RedisCluster {
 public:
  RedisCluster();
  std::string url() const;  // redis+cluster://<two of the three nodes>
  RedisServer& node(std::size_t i) { return *nodes_[i]; }
  std::size_t size() const { return nodes_.size(); }
  void stop_all();
  void start_all();  // and waits until every node reports cluster_state:ok
  void wait_until_ok();

 private:
  std::array<std::unique_ptr<RedisServer>, 3> nodes_;
};

// Runs a program to its end (its output into `log`); returns its exit status.
int run_program(const std::vector<std::string>& argv, const std::string& log);

}  // namespace gatehouse::testing
