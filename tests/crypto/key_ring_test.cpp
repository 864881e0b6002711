#include "crypto/key_ring.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace gatehouse::crypto {
namespace {

using gatehouse::testing::TempDir;

void write_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

std::string error_of(const std::filesystem::path& path) {
  try {
    KeyRing::load_or_create(path);
  } catch (const KeyRingError& e) {
    return e.what();
  }
  return "no error";
}

TEST(KeyRing, SealOpenRoundTrip) {
  const KeyRing ring = KeyRing::generate();
  for (const std::string& plaintext :
       {std::string(), std::string("ticket"), std::string(5000, 'x')}) {
    const std::string envelope = ring.seal(plaintext, "session-key-1");
    EXPECT_EQ(ring.open(envelope, "session-key-1"), plaintext);
  }
  EXPECT_NE(ring.seal("same", "aad"), ring.seal("same", "aad"));  // fresh nonce each time
}

TEST(KeyRing, EveryTamperedByteFails) {
  const KeyRing ring = KeyRing::generate();
  const std::string envelope = ring.seal("the session ticket", "aad");
  // Covers the version byte, kid length, kid, nonce, ciphertext and tag regions.
  for (std::size_t i = 0; i < envelope.size(); ++i) {
    for (const unsigned char flip : {0x01, 0x80, 0xff}) {
      std::string bad = envelope;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      EXPECT_FALSE(ring.open(bad, "aad")) << "byte " << i;
    }
  }
  for (std::size_t n = 0; n < envelope.size(); ++n)
    EXPECT_FALSE(ring.open(envelope.substr(0, n), "aad")) << "truncated to " << n;
  EXPECT_FALSE(ring.open(envelope + "x", "aad"));
}

TEST(KeyRing, WrongAssociatedDataFails) {
  const KeyRing ring = KeyRing::generate();
  const std::string envelope = ring.seal("ticket", "session-A");
  EXPECT_FALSE(ring.open(envelope, "session-B"));
  EXPECT_FALSE(ring.open(envelope, ""));
  EXPECT_TRUE(ring.open(envelope, "session-A"));
}

TEST(KeyRing, OtherRingCannotOpen) {
  const KeyRing a = KeyRing::generate();
  const KeyRing b = KeyRing::from_json(a.to_json());
  const KeyRing c = KeyRing::generate();
  const std::string envelope = a.seal("ticket", "aad");
  EXPECT_EQ(b.open(envelope, "aad"), "ticket");
  EXPECT_FALSE(c.open(envelope, "aad"));
}

TEST(KeyRing, RotationKeepsOldKeysDecrypting) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  KeyRing ring = KeyRing::load_or_create(file);
  const std::string old_kid = ring.active_kid();
  const std::string old_envelope = ring.seal("old", "aad");
  ring.rotate();
  EXPECT_EQ(ring.size(), 2u);
  EXPECT_NE(ring.active_kid(), old_kid);
  EXPECT_EQ(ring.open(old_envelope, "aad"), "old");
  const std::string new_envelope = ring.seal("new", "aad");
  ASSERT_GT(new_envelope.size(), 2u);
  EXPECT_EQ(new_envelope.substr(2, static_cast<unsigned char>(new_envelope[1])), ring.active_kid());

  const KeyRing reloaded = KeyRing::load_or_create(file);
  EXPECT_EQ(reloaded.size(), 2u);
  EXPECT_EQ(reloaded.active_kid(), ring.active_kid());
  EXPECT_EQ(reloaded.open(old_envelope, "aad"), "old");
  EXPECT_EQ(reloaded.open(new_envelope, "aad"), "new");
}

TEST(KeyRing, CreatesFileWithOwnerOnlyMode) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  const KeyRing ring = KeyRing::load_or_create(file);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(KeyRing::load_or_create(file).active_kid(), ring.active_kid());
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename(), "keys.json");  // no temporary file left behind
}

TEST(KeyRing, RefusesGroupOrWorldAccessibleFile) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  const std::string json = KeyRing::generate().to_json();
  for (const mode_t mode : {0640, 0604, 0660}) {
    write_file(file, json, mode);
    const std::string error = error_of(file);
    EXPECT_NE(error.find(file.string()), std::string::npos) << error;
    EXPECT_NE(error.find("group or others"), std::string::npos) << error;
  }
}

TEST(KeyRing, CorruptFilesGiveClearErrors) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  const std::pair<std::string, std::string> cases[] = {
      {"not json", "not valid JSON"},
      {"[]", "not a JSON object"},
      {R"({"version":2,"active":"a","keys":[]})", "\"version\" must be 1"},
      {R"({"version":1,"active":"a","keys":[]})", "non-empty array"},
      {R"({"version":1,"active":"a","keys":[{"kid":"a","created":1,"key":"AAAA"}]})",
       "not 32 bytes"},
      {R"({"version":1,"active":"b","keys":[{"kid":"a","created":1,)"
       R"("key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]})",
       "\"active\" must name"},
  };
  for (const auto& [text, problem] : cases) {
    write_file(file, text, 0600);
    const std::string error = error_of(file);
    EXPECT_NE(error.find(file.string()), std::string::npos) << error;
    EXPECT_NE(error.find("corrupt"), std::string::npos) << error;
    EXPECT_NE(error.find(problem), std::string::npos) << error;
    EXPECT_EQ(error.find("AAAAAAAA"), std::string::npos) << "key material in message";
  }
}

TEST(KeyRing, UnwritableLocationNamesTheFile) {
  TempDir dir;
  const auto file = dir.path() / "missing-dir" / "keys.json";
  const std::string error = error_of(file);
  EXPECT_NE(error.find(file.string()), std::string::npos) << error;
}

TEST(KeyRing, ConcurrentSealOpenAndRotate) {
  KeyRing ring = KeyRing::generate();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string plaintext = std::to_string(t * 1000 + i);
        if (ring.open(ring.seal(plaintext, "aad"), "aad") != plaintext) ++failures;
      }
    });
  }
  for (int i = 0; i < 20; ++i) ring.rotate();
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ring.size(), 21u);
}

}  // namespace
}  // namespace gatehouse::crypto
