#include "audit/file_sink.hpp"

#include "audit/event_json.hpp"
#include "audit/log_throttle.hpp"
#include "posix/thread_name.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace gatehouse::audit {
namespace {

LogThrottle& write_failure_lines() {
  static LogThrottle throttle;
  return throttle;
}
LogThrottle& drop_lines() {
  static LogThrottle throttle;
  return throttle;
}

}  // namespace

AuditFileSink::AuditFileSink(AuditFileOptions options) : options_(std::move(options)) {
  if (!options_.write)
    options_.write = [](int fd, const void* data, std::size_t size) {
      return ::write(fd, data, size);
    };
  fd_ = open_file();
  if (fd_ < 0)
    throw std::system_error(errno, std::generic_category(),
                            "cannot open the audit file " + options_.path.string());
  writer_ = std::thread([this] {
    posix::name_this_thread("gh-audit-file");
    run();
  });
}

AuditFileSink::~AuditFileSink() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
  if (fd_ >= 0) ::close(fd_);
}

int AuditFileSink::open_file() const {
  return ::open(options_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
                options_.mode);
}

void AuditFileSink::publish(const events::SessionEvent& event) noexcept {
  try {
    publish_line(event_json(event));
  } catch (...) {  // out of memory formatting the line: the event is lost, and counted
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

void AuditFileSink::publish_line(std::string line) noexcept {
  try {
    line.push_back('\n');
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() < options_.queue) {
        queue_.push_back(std::move(line));
        wake_.notify_one();
        return;
      }
    }
  } catch (...) {
  }
  const auto total = dropped_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (auto held = drop_lines().allow())
    spdlog::warn("audit file {}: queue full ({} lines), events dropped: {} in all",
                 options_.path.string(), options_.queue, total);
}

void AuditFileSink::reopen() {
  {
    std::lock_guard lock(mutex_);
    reopen_requested_ = true;
  }
  wake_.notify_one();
}

void AuditFileSink::flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && in_flight_ == 0; });
}

void AuditFileSink::reopen_now() {
  const int fresh = open_file();
  if (fresh < 0) {
    const int error = errno;
    failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("audit file {}: cannot reopen: {}; still writing to the one open",
                  options_.path.string(), std::strerror(error));
    return;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fresh;
  spdlog::info("audit file {} reopened", options_.path.string());
}

void AuditFileSink::write_line(std::string& line) {
  if (fd_ < 0) fd_ = open_file();  // the last write failed: try a fresh file
  int error = fd_ < 0 ? errno : 0;
  std::size_t done = 0;
  while (error == 0 && done < line.size()) {
    const auto n = options_.write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : EIO;
      break;
    }
    // A short write (a full disk) leaves the rest to one more write, which then fails too.
    done += static_cast<std::size_t>(n);
  }
  if (error == 0) {
    written_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const auto total = failures_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (auto held = write_failure_lines().allow())
    spdlog::error("audit file {}: write failed: {} ({} failed writes in all)",
                  options_.path.string(), std::strerror(error), total);
}

void AuditFileSink::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || reopen_requested_ || !queue_.empty(); });
    if (reopen_requested_) {
      reopen_requested_ = false;
      lock.unlock();
      reopen_now();
      lock.lock();
      continue;
    }
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    std::deque<std::string> lines;
    lines.swap(queue_);
    in_flight_ = lines.size();
    lock.unlock();
    for (auto& line : lines) write_line(line);
    lines.clear();
    lock.lock();
    in_flight_ = 0;
    idle_.notify_all();
  }
}

}  // namespace gatehouse::audit
