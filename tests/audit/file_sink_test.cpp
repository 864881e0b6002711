#include "audit/file_sink.hpp"

#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

namespace gatehouse::audit {
namespace {

events::SessionEvent started(std::string subject) {
  events::SessionEvent e;
  e.kind = events::EventKind::session_started;
  e.partition = "app";
  e.subject = std::move(subject);
  return e;
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string text_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(AuditFileSink, AppendsOneJsonLinePerEvent) {
  testing::TempDir dir;
  const auto path = dir.path() / "audit.jsonl";
  { std::ofstream(path) << "{\"earlier\":true}\n"; }
  {
    AuditFileSink sink({path});
    sink.publish(started("alice"));
    sink.publish(started("bob"));
    sink.flush();
    EXPECT_EQ(sink.written(), 2u);
  }
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "{\"earlier\":true}");  // appended, never truncated
  EXPECT_EQ(boost::json::parse(lines[1]).at("sub").as_string(), "alice");
  EXPECT_EQ(boost::json::parse(lines[2]).at("sub").as_string(), "bob");
  EXPECT_EQ(text_of(path).back(), '\n');
}

TEST(AuditFileSink, CreatesTheFileWithoutAccessForOthers) {
  testing::TempDir dir;
  const auto path = dir.path() / "new.jsonl";
  AuditFileSink sink({path});
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0007, 0u);
  EXPECT_EQ(st.st_mode & 0022, 0u);
}

TEST(AuditFileSink, ExactlyOneWritePerEventWithTheWholeLine) {
  testing::TempDir dir;
  std::mutex m;
  std::vector<std::string> writes;
  AuditFileOptions options{dir.path() / "audit.jsonl"};
  options.write = [&](int fd, const void* data, std::size_t size) {
    {
      std::lock_guard lock(m);
      writes.emplace_back(static_cast<const char*>(data), size);
    }
    return ::write(fd, data, size);
  };
  AuditFileSink sink(options);
  for (int n = 0; n < 50; ++n) sink.publish(started("user" + std::to_string(n)));
  sink.flush();
  std::lock_guard lock(m);
  ASSERT_EQ(writes.size(), 50u);
  for (std::size_t n = 0; n < writes.size(); ++n) {
    const auto& w = writes[n];
    ASSERT_EQ(w.back(), '\n');
    EXPECT_EQ(w.find('\n'), w.size() - 1);
    EXPECT_EQ(boost::json::parse(w).at("sub").as_string(), "user" + std::to_string(n));
  }
}

TEST(AuditFileSink, ReopenWritesToANewFileAfterARename) {
  testing::TempDir dir;
  const auto path = dir.path() / "audit.jsonl";
  const auto rotated = dir.path() / "audit.jsonl.1";
  AuditFileSink sink({path});
  sink.publish(started("before"));
  sink.flush();
  std::filesystem::rename(path, rotated);
  sink.publish(started("still-old"));  // not reopened yet: the open file is the renamed one
  sink.flush();
  sink.reopen();
  sink.publish(started("after"));
  sink.flush();
  const auto old_lines = lines_of(rotated);
  ASSERT_EQ(old_lines.size(), 2u);
  EXPECT_NE(old_lines[1].find("still-old"), std::string::npos);
  const auto new_lines = lines_of(path);
  ASSERT_EQ(new_lines.size(), 1u);
  EXPECT_NE(new_lines[0].find("\"after\""), std::string::npos);
}

TEST(AuditFileSink, ConstructionFailsForAPathThatCannotBeOpened) {
  testing::TempDir dir;
  EXPECT_THROW(AuditFileSink({dir.path() / "missing-dir" / "audit.jsonl"}), std::system_error);
}

// A writer stuck on a slow disk: publish never waits, and what does not fit is counted.
TEST(AuditFileSink, QueueIsBoundedAndDropsAreCounted) {
  testing::TempDir dir;
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  bool entered = false;
  AuditFileOptions options{dir.path() / "audit.jsonl", 3};
  options.write = [&](int fd, const void* data, std::size_t size) {
    std::unique_lock lock(m);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    return ::write(fd, data, size);
  };
  AuditFileSink sink(options);
  sink.publish(started("first"));  // taken by the writer, which then blocks
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return entered; });
  }
  for (int n = 0; n < 10; ++n) sink.publish(started("queued" + std::to_string(n)));
  EXPECT_EQ(sink.dropped(), 7u);  // 3 fit in the queue
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  sink.flush();
  EXPECT_EQ(sink.written(), 4u);
  EXPECT_EQ(lines_of(options.path).size(), 4u);
}

TEST(AuditFileSink, WriteFailuresAreCountedAndTheNextEventStillWritten) {
  testing::TempDir dir;
  std::atomic<int> calls{0};
  AuditFileOptions options{dir.path() / "audit.jsonl"};
  options.write = [&](int fd, const void* data, std::size_t size) -> ssize_t {
    if (calls++ == 0) {
      errno = ENOSPC;
      return -1;
    }
    return ::write(fd, data, size);
  };
  AuditFileSink sink(options);
  sink.publish(started("lost"));
  sink.publish(started("kept"));
  sink.flush();
  EXPECT_EQ(sink.write_failures(), 1u);
  EXPECT_EQ(sink.written(), 1u);
  const auto lines = lines_of(options.path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("kept"), std::string::npos);
}

TEST(AuditFileSink, ManyThreadsPublishingLoseNoLine) {
  testing::TempDir dir;
  const auto path = dir.path() / "audit.jsonl";
  {
    AuditFileSink sink({path, 100'000});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&sink, t] {
        for (int n = 0; n < 500; ++n)
          sink.publish(started("t" + std::to_string(t) + "-" + std::to_string(n)));
      });
    for (auto& th : threads) th.join();
  }  // the destructor writes what is still queued
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), 2000u);
  for (const auto& line : lines) EXPECT_NO_THROW(boost::json::parse(line));
}

}  // namespace
}  // namespace gatehouse::audit
