// The gateway's log sink: whole lines to one file descriptor (stderr), with request lines
// buffered per thread so that io threads neither take a shared lock nor make a write(2) per
// request.
//
// - A request's line (logged inside a RequestFieldsScope) goes into its thread's buffer, written
//   when the buffer holds 16 KiB or by the flusher thread every 200 ms, whichever comes first.
// - Any other line is written at once, after what its thread had buffered (one thread's lines
//   stay in order; lines of different threads may reach the file up to 200 ms apart from the
//   order they were logged in: each carries its own timestamp).
// - Every write(2) is of whole lines and holds a mutex, so lines never interleave, even on a
//   pipe. flush() (spdlog's flush, and at exit) writes every buffer.
// - Losing the process to SIGKILL loses at most the last 200 ms of request lines.
//
// The formatter is cloned per thread (spdlog's formatters are not thread-safe), so formatting
// runs unlocked too.
#pragma once

#include <spdlog/sinks/sink.h>

#include <chrono>
#include <memory>

namespace gatehouse::logging {

class LineSink final : public spdlog::sinks::sink {
 public:
  struct Options {
    int fd = 2;
    std::chrono::milliseconds flush_interval{200};
    std::size_t buffer_bytes = 16 * 1024;
  };
  LineSink();
  explicit LineSink(Options options);
  ~LineSink() override;  // flushes every buffer and stops the flusher
  LineSink(const LineSink&) = delete;
  LineSink& operator=(const LineSink&) = delete;

  void log(const spdlog::details::log_msg& msg) override;
  void flush() override;
  void set_pattern(const std::string& pattern) override;
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Makes spdlog's default logger write through one LineSink on stderr (the gateway's serve path;
// the CLI keeps spdlog's own sink). The sink lives until the process exits, flushed then.
void use_line_sink();

}  // namespace gatehouse::logging
