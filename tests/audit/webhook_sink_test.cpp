#include "audit/webhook_sink.hpp"

#include "server_thread.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>

#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace gatehouse::audit {
namespace {

using namespace std::chrono_literals;

events::SessionEvent started(int n) {
  events::SessionEvent e;
  e.kind = events::EventKind::session_started;
  e.partition = "app";
  e.subject = "user" + std::to_string(n);
  return e;
}

// A webhook receiver: records every POST body and answers with the next scripted status
// (200 once the script is used up).
class Receiver {
 public:
  explicit Receiver(std::deque<int> statuses = {})
      : statuses_(std::move(statuses)),
        server_(testing::local_options(), [this](http::Request& r) { return receive(r); }) {}

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/hook"; }

  // The subjects of every accepted event, in arrival order, and the batch sizes of every POST.
  std::vector<std::string> accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  std::vector<std::size_t> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }
  std::vector<std::string> content_types() {
    std::lock_guard lock(mutex_);
    return content_types_;
  }

 private:
  boost::asio::awaitable<http::Response> receive(http::Request& r) {
    int status = 200;
    {
      std::lock_guard lock(mutex_);
      if (!statuses_.empty()) {
        status = statuses_.front();
        statuses_.pop_front();
      }
      const auto batch = boost::json::parse(r.body).as_array();
      batches_.push_back(batch.size());
      content_types_.emplace_back(r.header("Content-Type").value_or(""));
      if (status == 200 && r.method == "POST" && r.path == "/hook")
        for (const auto& e : batch) accepted_.emplace_back(e.at("sub").as_string());
    }
    co_return http::text(status, "");
  }

  std::mutex mutex_;
  std::deque<int> statuses_;
  std::vector<std::string> accepted_;
  std::vector<std::size_t> batches_;
  std::vector<std::string> content_types_;
  testing::ServerThread server_;
};

// The sink's own io_context on a thread, as the gateway's io threads would run it.
class SinkThread {
 public:
  SinkThread() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~SinkThread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::any_io_executor executor() { return io_.get_executor(); }
  void finish(AuditWebhookSink& sink, std::chrono::milliseconds grace) {
    boost::asio::co_spawn(io_, sink.finish(grace), boost::asio::use_future).get();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

TEST(AuditWebhookSink, SendsFullBatchesAtOnceAndTheRestAfterTheInterval) {
  Receiver receiver;
  SinkThread io;
  auto sink = std::make_shared<AuditWebhookSink>(
      io.executor(), AuditWebhookOptions{.url = receiver.url(), .batch = 100, .interval = 500ms});
  for (int n = 0; n < 250; ++n) sink->publish(started(n));
  sink->start();
  ASSERT_TRUE(eventually([&] { return receiver.accepted().size() == 250; }));
  EXPECT_EQ(receiver.batches(), (std::vector<std::size_t>{100, 100, 50}));
  const auto accepted = receiver.accepted();
  for (int n = 0; n < 250; ++n) EXPECT_EQ(accepted[n], "user" + std::to_string(n));
  // The receiver records a batch before it answers; the sink counts it once it read the answer.
  EXPECT_TRUE(eventually([&] { return sink->sent() == 250u; })) << sink->sent();
  EXPECT_EQ(sink->dropped(), 0u);
  EXPECT_EQ(receiver.content_types().front(), "application/json");
  io.finish(*sink, 2s);
}

TEST(AuditWebhookSink, APartialBatchWaitsForTheInterval) {
  Receiver receiver;
  SinkThread io;
  auto sink = std::make_shared<AuditWebhookSink>(
      io.executor(), AuditWebhookOptions{.url = receiver.url(), .batch = 100, .interval = 300ms});
  sink->start();
  const auto published = std::chrono::steady_clock::now();
  for (int n = 0; n < 3; ++n) sink->publish(started(n));
  ASSERT_TRUE(eventually([&] { return receiver.accepted().size() == 3; }));
  EXPECT_GE(std::chrono::steady_clock::now() - published, 200ms);
  EXPECT_EQ(receiver.batches(), (std::vector<std::size_t>{3}));
  io.finish(*sink, 2s);
}

TEST(AuditWebhookSink, RetriesAFailedBatchWithBackoffInOrder) {
  Receiver receiver({503, 500, 429});
  SinkThread io;
  auto sink =
      std::make_shared<AuditWebhookSink>(io.executor(), AuditWebhookOptions{.url = receiver.url(),
                                                                            .batch = 10,
                                                                            .interval = 50ms,
                                                                            .first_retry = 50ms,
                                                                            .max_retry = 200ms});
  sink->start();
  const auto began = std::chrono::steady_clock::now();
  for (int n = 0; n < 5; ++n) sink->publish(started(n));
  ASSERT_TRUE(eventually([&] { return receiver.accepted().size() == 5; }));
  // Three failures: waits of 50, 100 and 200 ms before the attempt that went through.
  EXPECT_GE(std::chrono::steady_clock::now() - began, 350ms);
  EXPECT_EQ(receiver.batches(), (std::vector<std::size_t>{5, 5, 5, 5}));
  EXPECT_EQ(sink->failed_posts(), 3u);
  EXPECT_EQ(sink->dropped(), 0u);
  const auto accepted = receiver.accepted();
  for (int n = 0; n < 5; ++n) EXPECT_EQ(accepted[n], "user" + std::to_string(n));
  io.finish(*sink, 2s);
}

TEST(AuditWebhookSink, RetriesWhenTheReceiverIsDown) {
  // Nothing listens on this port (a server that just went away).
  std::string url;
  {
    Receiver gone;
    url = gone.url();
  }
  SinkThread io;
  auto sink = std::make_shared<AuditWebhookSink>(
      io.executor(),
      AuditWebhookOptions{.url = url, .interval = 20ms, .first_retry = 20ms, .max_retry = 40ms});
  sink->start();
  sink->publish(started(1));
  ASSERT_TRUE(eventually([&] { return sink->failed_posts() >= 3; }));
  EXPECT_EQ(sink->dropped(), 0u);  // still held for the next attempt
  io.finish(*sink, 2s);
  EXPECT_EQ(sink->dropped(), 1u);  // given up at shutdown, and counted
}

TEST(AuditWebhookSink, ABatchRefusedForGoodIsDroppedAndCounted) {
  Receiver receiver({400});
  SinkThread io;
  auto sink = std::make_shared<AuditWebhookSink>(
      io.executor(), AuditWebhookOptions{.url = receiver.url(), .interval = 20ms});
  sink->start();
  for (int n = 0; n < 4; ++n) sink->publish(started(n));
  ASSERT_TRUE(eventually([&] { return sink->dropped() == 4; }));
  sink->publish(started(99));
  ASSERT_TRUE(eventually([&] { return receiver.accepted().size() == 1; }));
  EXPECT_EQ(receiver.accepted()[0], "user99");
  io.finish(*sink, 2s);
}

TEST(AuditWebhookSink, QueueIsBoundedAndDropsAreCounted) {
  SinkThread io;
  auto sink = std::make_shared<AuditWebhookSink>(
      io.executor(), AuditWebhookOptions{.url = "http://127.0.0.1:9/hook", .queue = 5});
  for (int n = 0; n < 12; ++n) sink->publish(started(n));  // not started: nothing leaves
  EXPECT_EQ(sink->waiting(), 5u);
  EXPECT_EQ(sink->dropped(), 7u);
}

TEST(AuditWebhookSink, FinishSendsWhatIsQueued) {
  Receiver receiver;
  SinkThread io;
  auto sink = std::make_shared<AuditWebhookSink>(
      io.executor(), AuditWebhookOptions{.url = receiver.url(), .interval = 60s});
  sink->start();
  for (int n = 0; n < 7; ++n) sink->publish(started(n));
  io.finish(*sink, 5s);
  EXPECT_EQ(receiver.accepted().size(), 7u);
  EXPECT_EQ(sink->sent(), 7u);
}

}  // namespace
}  // namespace gatehouse::audit
