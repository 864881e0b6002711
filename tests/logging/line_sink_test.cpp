// The gateway's log sink: whole lines only, however many threads log at once (into a pipe,
// where a write over 4 KiB is not atomic); a thread's lines in the order it logged them; a
// request's lines held back (at most until the buffer fills or the flusher runs), every other
// line at once with what its thread held before it; flush() and destruction write everything;
// an exited thread's lines are not lost.
#include "logging/line_sink.hpp"
#include "logging/log_format.hpp"

#include <spdlog/spdlog.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <sstream>
#include <thread>

namespace gatehouse::logging {
namespace {

// A pipe whose read end a thread drains into a string until the write end closes.
class Drain {
 public:
  Drain() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    read_fd_ = fds[0];
    write_fd_ = fds[1];
    reader_ = std::thread([this] {
      char chunk[4096];
      for (ssize_t n; (n = ::read(read_fd_, chunk, sizeof chunk)) > 0;) {
        std::lock_guard lock(mutex_);
        text_.append(chunk, static_cast<std::size_t>(n));
      }
    });
  }
  ~Drain() { finish(); }
  int fd() const { return write_fd_; }
  // Closes the write end and waits for the reader; the text is complete afterwards.
  std::string finish() {
    if (write_fd_ >= 0) {
      ::close(write_fd_);
      write_fd_ = -1;
      reader_.join();
      ::close(read_fd_);
    }
    return text();
  }
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }
  // Waits (bounded at 5 s, not a timing assertion) until at least `bytes` arrived.
  std::string wait_for(std::size_t bytes) {
    for (int i = 0; i < 500 && text().size() < bytes; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return text();
  }

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::thread reader_;
  std::mutex mutex_;
  std::string text_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::shared_ptr<LineSink> sink_into(const Drain& drain, std::chrono::milliseconds flush_interval,
                                    std::size_t buffer_bytes = 16 * 1024) {
  return std::make_shared<LineSink>(LineSink::Options{
      .fd = drain.fd(), .flush_interval = flush_interval, .buffer_bytes = buffer_bytes});
}

std::shared_ptr<spdlog::logger> logger_on(std::shared_ptr<LineSink> sink) {
  auto logger = std::make_shared<spdlog::logger>("line-sink-test", std::move(sink));
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::trace);
  return logger;
}

void request_line(spdlog::logger& logger, const std::string& text) {
  const RequestFields fields{.request_id = "r", .method = "GET", .path = "/p", .route = "bff"};
  const RequestFieldsScope scope(fields);
  logger.info("{}", text);
}

// Held back: nothing shows until a flush (the flusher is set far in the future here).
TEST(LineSink, RequestLinesWaitOtherLinesGoOutAtOnceAfterThem) {
  Drain drain;
  auto sink = sink_into(drain, std::chrono::hours(1));
  auto logger = logger_on(sink);
  request_line(*logger, "request 1");
  request_line(*logger, "request 2");
  // The pipe is read by another thread: give it a moment, then nothing must be there.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(drain.text(), "");
  logger->warn("a warning");
  sink.reset();
  logger.reset();
  EXPECT_EQ(drain.finish(), "request 1\nrequest 2\na warning\n");
}

TEST(LineSink, FlushAndDestructionWriteEverything) {
  Drain drain;
  auto sink = sink_into(drain, std::chrono::hours(1));
  auto logger = logger_on(sink);
  request_line(*logger, "before flush");
  logger->flush();
  EXPECT_EQ(drain.wait_for(1), "before flush\n");
  request_line(*logger, "at destruction");
  logger.reset();
  sink.reset();
  EXPECT_EQ(drain.finish(), "before flush\nat destruction\n");
}

TEST(LineSink, TheFlusherWritesHeldLinesByItself) {
  Drain drain;
  auto sink = sink_into(drain, std::chrono::milliseconds(20));
  auto logger = logger_on(sink);
  request_line(*logger, "held");
  // Bounded wait (not a timing assertion): the flusher runs every 20 ms.
  EXPECT_EQ(drain.wait_for(1), "held\n");
}

TEST(LineSink, AFullBufferIsWrittenWithoutWaiting) {
  Drain drain;
  auto sink = sink_into(drain, std::chrono::hours(1), 64);
  auto logger = logger_on(sink);
  for (int i = 0; i < 10; ++i) request_line(*logger, "line " + std::to_string(i));
  EXPECT_GE(drain.wait_for(64).size(), 64u);
}

TEST(LineSink, AThreadThatEndedLosesNoLine) {
  Drain drain;
  auto sink = sink_into(drain, std::chrono::milliseconds(10));
  auto logger = logger_on(sink);
  std::thread([&] { request_line(*logger, "from a thread now gone"); }).join();
  EXPECT_EQ(drain.wait_for(1), "from a thread now gone\n");
}

// Long lines from many threads into a pipe: every line whole, each thread's in order.
TEST(LineSinkThreads, ManyThreadsWriteWholeLinesInTheirOwnOrder) {
  constexpr int kThreads = 6;
  constexpr int kLines = 2000;
  Drain drain;
  auto sink = sink_into(drain, std::chrono::milliseconds(5));
  auto logger = logger_on(sink);
  const std::string padding(300, 'x');
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kLines; ++i) {
        const std::string text = std::to_string(t) + " " + std::to_string(i) + " " + padding;
        if (i % 100 == 99)
          logger->warn("{}", text);
        else
          request_line(*logger, text);
      }
    });
  for (auto& t : threads) t.join();
  logger.reset();
  sink.reset();
  std::map<int, int> next;
  std::size_t count = 0;
  for (const auto& line : lines_of(drain.finish())) {
    ++count;
    int t = -1, i = -1;
    std::istringstream in(line);
    std::string rest;
    in >> t >> i >> rest;
    ASSERT_EQ(rest, padding) << "a broken line: " << line.substr(0, 80);
    ASSERT_EQ(i, next[t]) << "thread " << t << " out of order";
    next[t] = i + 1;
  }
  EXPECT_EQ(count, static_cast<std::size_t>(kThreads * kLines));
}

}  // namespace
}  // namespace gatehouse::logging
