// The key ring file watched from an Asio loop: a rotation by another process (an atomic
// rename-over) or a write in place is picked up, with inotify and with the poll; a broken file
// keeps the ring. Real file system events and timers: labelled slow.
#include "crypto/key_ring_watch.hpp"

#include <sys/stat.h>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>

#include "support/temp_dir.hpp"

namespace gatehouse::crypto {
namespace {

using gatehouse::testing::TempDir;
using namespace std::chrono_literals;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_in_place(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ::chmod(path.c_str(), 0600);
}

class KeyRingWatchTest : public ::testing::TestWithParam<bool> {
 protected:
  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "keys.json";
  std::shared_ptr<KeyRing> ring_ = std::make_shared<KeyRing>(KeyRing::load_or_create(file_));
  boost::asio::io_context io_;
  int changes_ = 0;
  KeyRing::Reloaded last_;
  KeyRingWatch watch_{
      io_.get_executor(), ring_, file_,
      [this](const KeyRing::Reloaded& r) {
        ++changes_;
        last_ = r;
      },
      KeyRingWatchOptions{.poll_interval = 50ms, .settle = 20ms, .use_inotify = GetParam()}};

  // Runs the loop until `done` holds or 5 s have passed.
  template <class Pred>
  bool run_until(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(10ms);
    }
    return done();
  }
  void run_for(std::chrono::milliseconds d) {
    io_.restart();
    io_.run_for(d);
  }
};

TEST_P(KeyRingWatchTest, ARotationByAnotherProcessIsPickedUp) {
  watch_.start();
  EXPECT_EQ(watch_.mode(), GetParam() ? KeyRingWatch::Mode::inotify : KeyRingWatch::Mode::poll);
  run_for(50ms);
  EXPECT_EQ(changes_, 0) << "nothing changed yet";
  KeyRing operator_ring = KeyRing::load_or_create(file_);
  operator_ring.rotate();  // writes a temporary file and renames it over keys.json
  ASSERT_TRUE(run_until([&] { return changes_ == 1; }));
  EXPECT_EQ(ring_->active_kid(), operator_ring.active_kid());
  EXPECT_EQ(last_.added, std::vector<std::string>{operator_ring.active_kid()});
  EXPECT_TRUE(last_.dpop_changed);
  run_for(200ms);
  EXPECT_EQ(changes_, 1) << "one change, one reload";

  // Twice more: the watch survives the rename-over of the very file it saw.
  operator_ring.rotate();
  ASSERT_TRUE(run_until([&] { return changes_ == 2; }));
  const std::string retired = ring_->summary().keys.front().kid;
  ASSERT_EQ(operator_ring.retire(retired), KeyRing::RetireOutcome::retired);
  ASSERT_TRUE(run_until([&] { return changes_ == 3; }));
  EXPECT_EQ(last_.removed, std::vector<std::string>{retired});
  EXPECT_EQ(ring_->size(), 2u);
}

TEST_P(KeyRingWatchTest, ABrokenFileKeepsTheRingUntilAGoodOneArrives) {
  watch_.start();
  const std::string active = ring_->active_kid();
  const std::string envelope = ring_->seal("kept", "aad");
  KeyRing operator_ring = KeyRing::load_or_create(file_);
  operator_ring.rotate();
  const std::string good = read_file(file_);
  ASSERT_TRUE(run_until([&] { return changes_ == 1; }));

  write_in_place(file_, "{ not json");
  run_for(300ms);
  EXPECT_EQ(changes_, 1);
  EXPECT_EQ(ring_->active_kid(), operator_ring.active_kid());
  EXPECT_EQ(ring_->open(envelope, "aad"), "kept");
  EXPECT_FALSE(watch_.reload()) << "SIGHUP on a broken file: refused, ring kept";

  std::filesystem::remove(file_);
  run_for(300ms);
  EXPECT_EQ(ring_->open(envelope, "aad"), "kept") << "a deleted file keeps the ring too";

  operator_ring.rotate();  // a good file again (a new one: created, renamed into place)
  ASSERT_TRUE(run_until([&] { return changes_ == 2; }));
  EXPECT_EQ(ring_->active_kid(), operator_ring.active_kid());
  EXPECT_EQ(ring_->open(envelope, "aad"), "kept");
  EXPECT_NE(good, read_file(file_));
}

TEST_P(KeyRingWatchTest, AWriteInPlaceIsReadOnceComplete) {
  watch_.start();
  KeyRing elsewhere = KeyRing::generate();  // another ring altogether, copied over by hand
  write_in_place(file_, elsewhere.to_json());
  ASSERT_TRUE(run_until([&] { return ring_->active_kid() == elsewhere.active_kid(); }));
  EXPECT_EQ(changes_, 1);
  EXPECT_EQ(ring_->size(), 1u);
}

TEST_P(KeyRingWatchTest, ReloadNowReadsTheFileWhateverItLooksLike) {
  // SIGHUP without a watch running (e.g. a file system without inotify, poll not yet due).
  KeyRing operator_ring = KeyRing::load_or_create(file_);
  operator_ring.rotate();
  EXPECT_TRUE(watch_.reload());
  EXPECT_EQ(changes_, 1);
  EXPECT_EQ(ring_->active_kid(), operator_ring.active_kid());
  EXPECT_TRUE(watch_.reload()) << "unchanged: still the file's ring";
  EXPECT_EQ(changes_, 1);
}

TEST_P(KeyRingWatchTest, StopEndsTheWatch) {
  watch_.start();
  watch_.stop();
  EXPECT_EQ(watch_.mode(), KeyRingWatch::Mode::idle);
  KeyRing operator_ring = KeyRing::load_or_create(file_);
  operator_ring.rotate();
  run_for(300ms);
  EXPECT_EQ(changes_, 0);
  EXPECT_NE(ring_->active_kid(), operator_ring.active_kid());
}

INSTANTIATE_TEST_SUITE_P(InotifyAndPoll, KeyRingWatchTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Inotify" : "Poll";
                         });

}  // namespace
}  // namespace gatehouse::crypto
