// The audit file: one JSON line per event (audit/event_json.hpp), appended with O_APPEND and
// exactly one write(2) per line, so lines from several processes (or a tail -f) never
// interleave. A writer thread of its own does the writing: publish() only queues (bounded; past
// the bound an event is dropped and counted), so a slow or full disk never blocks an io thread.
// reopen() (SIGHUP, after logrotate renamed the file) makes the writer open the path afresh; a
// failed write is counted, logged at most every 10 s, and the file is opened again for the next
// event.
//
// Threads: publish(), reopen() and the counters from any thread.
#pragma once

#include "events/session_events.hpp"

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace gatehouse::audit {

struct AuditFileOptions {
  std::filesystem::path path;
  std::size_t queue = 10'000;  // lines waiting for the writer; beyond it events are dropped
  mode_t mode = 0640;          // of a file created here (the umask applies)
  // The write(2) used for each line (tests count calls or inject failures); empty: ::write.
  std::function<ssize_t(int fd, const void* data, std::size_t size)> write;
};

class AuditFileSink final : public events::SessionEventSink {
 public:
  // Opens (creates) the file now: throws std::system_error naming the path when it cannot.
  explicit AuditFileSink(AuditFileOptions options);
  // Writes every line still queued, then stops the writer.
  ~AuditFileSink() override;
  AuditFileSink(const AuditFileSink&) = delete;
  AuditFileSink& operator=(const AuditFileSink&) = delete;

  void publish(const events::SessionEvent& event) noexcept override;
  // Appends an already formatted line (no newline): the CLI's events, tests.
  void publish_line(std::string line) noexcept;

  // The writer opens the path again (a new file after a rename), now and before its next line.
  void reopen();
  // Blocks until every line queued before the call was written (or failed).
  void flush();

  const std::filesystem::path& path() const { return options_.path; }
  std::uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t write_failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  void run();
  int open_file() const;  // -1 and errno on failure
  void reopen_now();
  void write_line(std::string& line);

  AuditFileOptions options_;
  int fd_ = -1;  // only the writer thread touches it once started
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::string> queue_;
  std::size_t in_flight_ = 0;
  bool reopen_requested_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> written_{0}, dropped_{0}, failures_{0};
  std::thread writer_;
};

}  // namespace gatehouse::audit
