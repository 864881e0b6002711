// Test helper: postgres_crash_writer in a process of its own, and the keys it has reported.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <stdexcept>
#include <string>

extern char** environ;

namespace gatehouse::testing {

// postgres_crash_writer in a process of its own: the keys it reports are acknowledged writes.
class CrashWriter {
 public:
  CrashWriter(const std::string& url, const std::string& schema) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::string exe = GATEHOUSE_POSTGRES_CRASH_WRITER, u = url, s = schema;
    char* argv[] = {exe.data(), u.data(), s.data(), nullptr};
    const int rc = posix_spawn(&pid_, exe.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    output_ = out[0];
    if (rc != 0) throw std::runtime_error("cannot start the crash writer");
  }
  ~CrashWriter() {
    if (pid_ > 0) kill9();
    ::close(output_);
  }

  // Reads acknowledged keys until there are `count`; false if the writer ended or stalled.
  bool read_until(std::size_t count, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (acknowledged_.size() < count) {
      pollfd p{output_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      if (!read_some()) return false;
    }
    return true;
  }

  // SIGKILL, then every key it had written before it died; returns its wait status.
  int kill9() {
    kill(pid_, SIGKILL);
    while (read_some()) {
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  const std::set<std::string>& acknowledged() const { return acknowledged_; }

 private:
  bool read_some() {
    char buf[8192];
    const ssize_t n = ::read(output_, buf, sizeof buf);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<std::size_t>(n));
    for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n')) {
      acknowledged_.insert(pending_.substr(0, nl));
      pending_.erase(0, nl + 1);
    }
    return true;
  }

  pid_t pid_ = -1;
  int output_ = -1;
  std::string pending_;
  std::set<std::string> acknowledged_;
};

}  // namespace gatehouse::testing
