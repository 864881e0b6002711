#include "logging/line_sink.hpp"

#include "logging/log_format.hpp"
#include "posix/thread_name.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

namespace gatehouse::logging {
namespace {

std::atomic<std::uint64_t> next_sink_id{1};  // never reused, unlike an address

// Writes all of `data` (retrying short writes and EINTR); a failing log file loses the lines.
void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

struct LineSink::Impl {
  // One thread's request lines; shared with that thread (which may outlive the sink, or end
  // before it: then `abandoned`, and the flusher writes what is left and drops it).
  struct Buffer {
    std::mutex mutex;  // the owner thread's and the flusher's; nobody else's
    spdlog::memory_buf_t lines;
    bool abandoned = false;
  };

  // What a thread keeps per sink: its formatter clone and its buffer.
  struct Local {
    std::uint64_t sink = 0;
    std::uint64_t formatter_version = 0;
    std::unique_ptr<spdlog::formatter> formatter;
    std::shared_ptr<Buffer> buffer;
    Local() = default;
    Local(Local&&) = default;
    Local& operator=(Local&&) = default;
    ~Local() {
      if (!buffer) return;
      std::lock_guard lock(buffer->mutex);
      buffer->abandoned = true;
    }
  };

  explicit Impl(Options o) : options(o) {
    flusher = std::thread([this] {
      posix::name_this_thread("gh-log-flush");
      run_flusher();
    });
  }

  ~Impl() {
    {
      std::lock_guard lock(stop_mutex);
      stopping = true;
    }
    stop_cv.notify_all();
    flusher.join();
    flush_all();
  }

  Local& local() {
    thread_local std::vector<Local> mine;
    Local* found = nullptr;
    for (auto& l : mine)
      if (l.sink == id) found = &l;
    if (!found) {
      Local fresh;
      fresh.sink = id;
      fresh.buffer = std::make_shared<Buffer>();
      {
        std::lock_guard lock(buffers_mutex);
        buffers.push_back(fresh.buffer);
      }
      mine.push_back(std::move(fresh));
      found = &mine.back();
    }
    if (found->formatter_version != formatter_version.load(std::memory_order_acquire)) {
      std::lock_guard lock(formatter_mutex);
      found->formatter = formatter->clone();
      found->formatter_version = formatter_version.load(std::memory_order_relaxed);
    }
    return *found;
  }

  // With `buffer.mutex` held.
  void write_out(Buffer& buffer) {
    if (buffer.lines.size() == 0) return;
    {
      std::lock_guard lock(write_mutex);
      write_all(options.fd, buffer.lines.data(), buffer.lines.size());
    }
    buffer.lines.clear();
  }

  void flush_all() {
    std::lock_guard lock(buffers_mutex);
    for (auto it = buffers.begin(); it != buffers.end();) {
      bool drop = false;
      {
        std::lock_guard buffer_lock((*it)->mutex);
        write_out(**it);
        drop = (*it)->abandoned;
      }
      it = drop ? buffers.erase(it) : it + 1;
    }
  }

  void run_flusher() {
    std::unique_lock lock(stop_mutex);
    while (!stopping) {
      stop_cv.wait_for(lock, options.flush_interval);
      lock.unlock();
      flush_all();
      lock.lock();
    }
  }

  const Options options;
  const std::uint64_t id = next_sink_id.fetch_add(1, std::memory_order_relaxed);
  std::mutex write_mutex;  // one write(2) at a time: whole lines, never interleaved

  std::mutex formatter_mutex;
  std::unique_ptr<spdlog::formatter> formatter = std::make_unique<spdlog::pattern_formatter>();
  std::atomic<std::uint64_t> formatter_version{1};

  std::mutex buffers_mutex;
  std::vector<std::shared_ptr<Buffer>> buffers;

  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::thread flusher;
};

LineSink::LineSink() : LineSink(Options{}) {}
LineSink::LineSink(Options options) : impl_(std::make_unique<Impl>(options)) {}
LineSink::~LineSink() = default;

void LineSink::log(const spdlog::details::log_msg& msg) {
  if (!should_log(msg.level)) return;
  auto& local = impl_->local();
  Impl::Buffer& buffer = *local.buffer;
  std::lock_guard lock(buffer.mutex);
  local.formatter->format(msg, buffer.lines);
  // A request's line waits for more; any other line goes out now, with what came before it.
  if (!in_request_scope() || buffer.lines.size() >= impl_->options.buffer_bytes)
    impl_->write_out(buffer);
}

void LineSink::flush() {
  impl_->flush_all();
}

void LineSink::set_pattern(const std::string& pattern) {
  set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern));
}

void LineSink::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
  std::lock_guard lock(impl_->formatter_mutex);
  impl_->formatter = std::move(formatter);
  impl_->formatter_version.fetch_add(1, std::memory_order_release);
}

namespace {
std::shared_ptr<LineSink>* process_sink = nullptr;  // never destroyed: threads log until the end
}  // namespace

void use_line_sink() {
  static const bool made = [] {
    process_sink = new std::shared_ptr<LineSink>(std::make_shared<LineSink>());
    std::atexit([] { (*process_sink)->flush(); });
    return true;
  }();
  (void)made;
  auto logger = std::make_shared<spdlog::logger>("", *process_sink);
  logger->set_level(spdlog::get_level());
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace gatehouse::logging
