// Live key changes: reload() from the file another process rewrote, retire(), and a ring that
// stays whole while io threads seal and open during reloads (also built with TSan).
#include "crypto/dpop_key.hpp"
#include "crypto/key_ring.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace gatehouse::crypto {
namespace {

using gatehouse::testing::TempDir;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Written over the ring the way an operator's editor or a bad deploy would: in place.
void overwrite(const std::filesystem::path& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

std::string reload_error(KeyRing& ring) {
  try {
    ring.reload();
  } catch (const KeyRingError& e) {
    return e.what();
  }
  return "no error";
}

class KeyRingReload : public ::testing::Test {
 protected:
  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "keys.json";
  KeyRing serving_ = KeyRing::load_or_create(file_);  // the running gateway's ring
};

TEST_F(KeyRingReload, PicksUpARotationByAnotherProcess) {
  const std::string old_envelope = serving_.seal("old", "aad");
  const auto generation = serving_.generation();
  KeyRing operator_ring = KeyRing::load_or_create(file_);  // gatehouse keys rotate
  operator_ring.rotate();

  const auto r = serving_.reload();
  EXPECT_TRUE(r.keys_changed);
  EXPECT_TRUE(r.dpop_changed) << "rotate replaces the DPoP key too";
  EXPECT_EQ(r.active_kid, operator_ring.active_kid());
  EXPECT_EQ(r.size, 2u);
  EXPECT_EQ(r.added, std::vector<std::string>{operator_ring.active_kid()});
  EXPECT_TRUE(r.removed.empty());
  EXPECT_NE(serving_.generation(), generation);
  EXPECT_EQ(serving_.active_kid(), operator_ring.active_kid());
  EXPECT_EQ(serving_.open(old_envelope, "aad"), "old") << "older keys still open";
  EXPECT_EQ(operator_ring.open(serving_.seal("new", "aad"), "aad"), "new")
      << "sealed with the new active key, which the other process has";
  EXPECT_EQ(EVP_PKEY_eq(serving_.dpop_key()->pkey(), operator_ring.dpop_key()->pkey()), 1);
  EXPECT_TRUE(serving_.dpop_key_persisted());
}

TEST_F(KeyRingReload, AnUnchangedFileChangesNothing) {
  const auto generation = serving_.generation();
  const auto dpop = serving_.dpop_key();
  const auto r = serving_.reload();
  EXPECT_FALSE(r.keys_changed);
  EXPECT_FALSE(r.dpop_changed);
  EXPECT_EQ(serving_.generation(), generation) << "the verified-session cache stays warm";
  EXPECT_EQ(serving_.dpop_key(), dpop);
}

TEST_F(KeyRingReload, ARetiredKeysTicketsNoLongerOpen) {
  const std::string old_kid = serving_.active_kid();
  const std::string old_envelope = serving_.seal("old", "aad");
  KeyRing operator_ring = KeyRing::load_or_create(file_);
  operator_ring.rotate();
  ASSERT_EQ(operator_ring.retire(old_kid), KeyRing::RetireOutcome::retired);
  const auto generation = serving_.generation();

  const auto r = serving_.reload();
  EXPECT_TRUE(r.keys_changed);
  EXPECT_EQ(r.removed, std::vector<std::string>{old_kid});
  EXPECT_EQ(r.size, 1u);
  EXPECT_NE(serving_.generation(), generation);
  EXPECT_EQ(serving_.open(old_envelope, "aad"), std::nullopt);
}

TEST_F(KeyRingReload, EveryKindOfBrokenFileKeepsTheOldRing) {
  const std::string envelope = serving_.seal("kept", "aad");
  const std::string good = read_file(file_);
  const std::string active = serving_.active_kid();
  const auto generation = serving_.generation();
  const auto dpop = serving_.dpop_key();
  // The key material of the good file, which no message may repeat.
  const std::string secret = good.substr(good.find("\"key\":\"") + 7, 43);

  struct Case {
    const char* what;
    std::function<void()> break_it;
    const char* message;
  };
  const std::string missing_active = [&] {
    std::string s = good;
    s.replace(s.find("\"active\":\"" + active), 10 + active.size(), "\"active\":\"nope");
    return s;
  }();
  const std::vector<Case> cases = {
      {"not JSON", [&] { overwrite(file_, "{\"version\":1,"); }, "not valid JSON"},
      {"truncated", [&] { overwrite(file_, good.substr(0, good.size() / 2)); }, "not valid JSON"},
      {"wrong mode", [&] { overwrite(file_, good, 0644); }, "accessible by group or others"},
      {"missing active key", [&] { overwrite(file_, missing_active); }, "\"active\" must name"},
      {"no keys", [&] { overwrite(file_, R"({"version":1,"active":"a","keys":[]})"); },
       "non-empty array"},
      {"deleted", [&] { std::filesystem::remove(file_); }, "does not exist"},
      {"not a regular file",
       [&] {
         std::filesystem::remove(file_);
         std::filesystem::create_directory(file_);
       },
       "not a regular file"},
      {"a FIFO",
       [&] {
         std::filesystem::remove_all(file_);
         ASSERT_EQ(::mkfifo(file_.c_str(), 0600), 0);
       },
       "not a regular file"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    c.break_it();
    const std::string error = reload_error(serving_);
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
    EXPECT_NE(error.find(file_.string()), std::string::npos) << "names the file: " << error;
    EXPECT_EQ(error.find(secret), std::string::npos) << "no key material: " << error;
    EXPECT_EQ(serving_.active_kid(), active);
    EXPECT_EQ(serving_.generation(), generation);
    EXPECT_EQ(serving_.dpop_key(), dpop);
    EXPECT_EQ(serving_.open(envelope, "aad"), "kept");
    EXPECT_EQ(serving_.open(serving_.seal("still", "aad"), "aad"), "still");
    std::filesystem::remove_all(file_);
    overwrite(file_, good);
  }
  // Once the file is good again, it is the ring again (and nothing changed).
  EXPECT_FALSE(serving_.reload().keys_changed);
}

TEST_F(KeyRingReload, AFileWithoutADpopKeyKeepsTheProcesssOne) {
  const auto dpop = serving_.dpop_key();
  overwrite(file_, R"({"version":1,"active":"k2","keys":[{"kid":"k2","created":2,)"
                   R"("key":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"}]})");
  const auto r = serving_.reload();
  EXPECT_TRUE(r.keys_changed);
  EXPECT_FALSE(r.dpop_changed);
  EXPECT_EQ(serving_.dpop_key(), dpop);
  EXPECT_FALSE(serving_.dpop_key_persisted());
  EXPECT_EQ(serving_.active_kid(), "k2");
  EXPECT_NE(read_file(file_).find("\"k2\""), std::string::npos) << "reload never writes the file";
  EXPECT_EQ(read_file(file_).find("dpop"), std::string::npos) << "reload never writes the file";
}

TEST_F(KeyRingReload, RetireRefusesTheActiveKeyAndUnknownKids) {
  const std::string first = serving_.active_kid();
  EXPECT_EQ(serving_.retire(first), KeyRing::RetireOutcome::active_key);
  EXPECT_EQ(serving_.retire("no-such-kid"), KeyRing::RetireOutcome::unknown_kid);
  EXPECT_EQ(serving_.size(), 1u);
  const std::string before = read_file(file_);

  serving_.rotate();
  const std::string sealed_first = KeyRing::from_json(before).seal("x", "aad");
  const auto generation = serving_.generation();
  EXPECT_EQ(serving_.retire(first), KeyRing::RetireOutcome::retired);
  EXPECT_NE(serving_.generation(), generation);
  EXPECT_EQ(serving_.open(sealed_first, "aad"), std::nullopt);
  EXPECT_EQ(serving_.retire(first), KeyRing::RetireOutcome::unknown_kid) << "already gone";

  // Persisted atomically, owner-only: what a fresh load sees.
  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const KeyRing loaded = KeyRing::load_or_create(file_);
  EXPECT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded.active_kid(), serving_.active_kid());
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
    EXPECT_EQ(entry.path(), file_) << "no temporary file left behind";
}

TEST(KeyRingReloadMemory, AnInMemoryRingHasNoFileToReload) {
  KeyRing ring = KeyRing::generate();
  EXPECT_THROW(ring.reload(), std::logic_error);
  ring.rotate();
  const std::string first = ring.summary().keys.front().kid;
  EXPECT_EQ(ring.retire(first), KeyRing::RetireOutcome::retired) << "in memory, nothing written";
}

// Io threads seal and open while another process keeps rotating the file and this one reloads:
// every envelope opens (rotations only add keys), and every reader sees a whole ring.
TEST_F(KeyRingReload, ConcurrentSealAndOpenDuringReloads) {
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<long> opened{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&, t] {
      const std::string aad = "session-" + std::to_string(t);
      while (!done.load(std::memory_order_relaxed)) {
        const auto generation = serving_.generation();
        const std::string sealed = serving_.seal("payload", aad);
        if (serving_.open(sealed, aad) != "payload") ++failures;
        const auto summary = serving_.summary();
        bool active_present = false;
        for (const auto& k : summary.keys)
          active_present = active_present || k.kid == summary.active;
        if (!active_present) ++failures;
        if (serving_.generation() < generation) ++failures;
        ++opened;
      }
    });
  KeyRing operator_ring = KeyRing::load_or_create(file_);
  for (int round = 0; round < 40; ++round) {
    operator_ring.rotate();
    const auto r = serving_.reload();
    EXPECT_TRUE(r.keys_changed);
    EXPECT_EQ(serving_.active_kid(), operator_ring.active_kid());
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(opened.load(), 0);
  EXPECT_EQ(serving_.size(), 41u);
}

}  // namespace
}  // namespace gatehouse::crypto
