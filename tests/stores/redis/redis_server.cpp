#include "stores/redis/redis_server.hpp"

#include <hiredis/hiredis.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace gatehouse::testing {
namespace {

using namespace std::chrono_literals;

// The absolute path of a program on PATH (searched here: execv after fork must not allocate).
std::string find_program(const std::string& name) {
  std::stringstream path(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  for (std::string dir; std::getline(path, dir, ':');) {
    auto candidate = std::filesystem::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  throw std::runtime_error(name + " is not on PATH (install redis-server and redis-tools)");
}

// A port nothing listens on now (bound to 0, read back, closed).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0)
    throw std::runtime_error("no free port on loopback");
  ::close(fd);
  return ntohs(address.sin_port);
}

// fork + execv, the child dying with us; stdout and stderr into `log` when given.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<std::string> args = argv;
  args[0] = find_program(argv[0]);
  std::vector<char*> raw;
  for (auto& a : args) raw.push_back(a.data());
  raw.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    if (!log.empty()) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
      }
    }
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  return pid;
}

std::string tail_of(const std::string& file) {
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

int run_program(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = spawn(argv, log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

RedisServer::RedisServer(bool cluster) : cluster_(cluster) {
  // Another test process may take a port between the probe and the bind: try a few.
  for (int attempt = 0;; ++attempt) {
    port_ = free_port();
    bus_port_ = cluster ? free_port() : 0;
    write_config();
    try {
      start();
      return;
    } catch (const std::exception&) {
      if (attempt == 4) throw;
    }
  }
}

RedisServer::~RedisServer() {
  if (pid_ > 0) kill9();
}

void RedisServer::write_config() const {
  std::ofstream config(dir_.file("redis.conf"));
  config << "port " << port_ << "\nbind 127.0.0.1\nprotected-mode no\n"
         << "dir " << dir_.path().string() << "\nlogfile " << dir_.file("redis.log") << "\n"
         << "daemonize no\nsave \"\"\nappendonly yes\nappendfsync always\n";
  if (cluster_)
    config << "cluster-enabled yes\ncluster-config-file nodes.conf\ncluster-node-timeout 1000\n"
           << "cluster-port " << bus_port_ << "\n";
}

void RedisServer::start() {
  if (pid_ > 0) return;
  pid_ = spawn({"redis-server", dir_.file("redis.conf")}, dir_.file("redis.stdout"));
  wait_until_answering();
}

void RedisServer::wait_until_answering() {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server on port " + std::to_string(port_) +
                               " exited: " + tail_of(dir_.file("redis.log")));
    }
    try {
      const auto pong = command({"PING"});
      if (pong.type == redis::Reply::Type::status && pong.text == "PONG") return;
    } catch (const std::runtime_error&) {
    }
    std::this_thread::sleep_for(10ms);
  }
  throw std::runtime_error("redis-server on port " + std::to_string(port_) + " never answered");
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

redis::Reply RedisServer::command(const std::vector<std::string>& args) const {
  const timeval timeout{2, 0};
  std::unique_ptr<redisContext, decltype(&redisFree)> context(
      redisConnectWithTimeout("127.0.0.1", port_, timeout), &redisFree);
  if (!context || context->err)
    throw std::runtime_error("cannot connect to redis-server on port " + std::to_string(port_));
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (!raw) throw std::runtime_error("redis-server on port " + std::to_string(port_) + " hung up");
  auto reply = redis::copy_reply(*raw);
  freeReplyObject(raw);
  return reply;
}

RedisCluster::RedisCluster() {
  for (auto& node : nodes_) node = std::make_unique<RedisServer>(true);
  TempDir logs;
  const auto log = logs.file("cluster-create.log");
  const int status = run_program({"redis-cli", "--cluster", "create", nodes_[0]->address(),
                                  nodes_[1]->address(), nodes_[2]->address(), "--cluster-yes"},
                                 log);
  if (status != 0) throw std::runtime_error("redis-cli --cluster create failed: " + tail_of(log));
  wait_until_ok();
}

std::string RedisCluster::url() const {
  return "redis+cluster://" + nodes_[0]->address() + "," + nodes_[1]->address();
}

void RedisCluster::stop_all() {
  for (auto& node : nodes_) node->stop();
}

void RedisCluster::start_all() {
  for (auto& node : nodes_) node->start();
  wait_until_ok();
}

void RedisCluster::wait_until_ok() {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (auto& node : nodes_) {
    for (;;) {
      const auto info = node->command({"CLUSTER", "INFO"}).text;
      if (info.find("cluster_state:ok") != std::string::npos &&
          info.find("cluster_slots_ok:16384") != std::string::npos &&
          info.find("cluster_known_nodes:3") != std::string::npos)
        break;
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("the cluster never became ok: " + info);
      std::this_thread::sleep_for(20ms);
    }
  }
}

}  // namespace gatehouse::testing
