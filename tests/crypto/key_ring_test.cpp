#include "crypto/key_ring.hpp"

#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "crypto/base64.hpp"
#include "crypto/dpop_key.hpp"
#include "crypto/openssl_ptr.hpp"
#include "support/temp_dir.hpp"

namespace gatehouse::crypto {
namespace {

using gatehouse::testing::TempDir;

void write_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Same key pair: EVP_PKEY_eq compares the public halves, and a signature by one verifies with the
// other (so the private halves match too).
bool same_key(const DpopKey& a, const DpopKey& b) {
  if (EVP_PKEY_eq(a.pkey(), b.pkey()) != 1) return false;
  const std::string message = "dpop";
  const auto* data = reinterpret_cast<const unsigned char*>(message.data());
  MdCtxPtr sign(EVP_MD_CTX_new());
  unsigned char signature[80];
  std::size_t len = sizeof signature;
  if (EVP_DigestSignInit_ex(sign.get(), nullptr, "SHA256", nullptr, nullptr, a.pkey(), nullptr) !=
          1 ||
      EVP_DigestSign(sign.get(), signature, &len, data, message.size()) != 1)
    return false;
  MdCtxPtr verify(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit_ex(verify.get(), nullptr, "SHA256", nullptr, nullptr, b.pkey(),
                                 nullptr) == 1 &&
         EVP_DigestVerify(verify.get(), signature, len, data, message.size()) == 1;
}

bool is_p256(const DpopKey& key) {
  char group[32] = {};
  std::size_t len = 0;
  return EVP_PKEY_get_utf8_string_param(key.pkey(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        &len) == 1 &&
         std::string_view(group, len) == "prime256v1";
}

// A ring file as gatehouse wrote it before DPoP keys existed.
constexpr const char* kRingWithoutDpop =
    R"({"version":1,"active":"old","keys":[{"kid":"old","created":1,)"
    R"("key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]})";

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

TEST(KeyRing, NoKidReadsAsACommandLineOption) {
  // `gatehouse keys retire KID`: a kid starting with '-' would be taken for an option. 1 in 64
  // random kids would; 400 keys without one: the generator skips them (p < 0.3 % otherwise).
  KeyRing ring = KeyRing::generate();
  for (int i = 0; i < 399; ++i) ring.rotate();
  const auto summary = ring.summary();
  ASSERT_EQ(summary.keys.size(), 400u);
  for (const auto& key : summary.keys) EXPECT_NE(key.kid.front(), '-') << key.kid;
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

TEST(KeyRing, SummaryListsKeyIdsOldestFirstAndTheActiveOne) {
  KeyRing ring = KeyRing::generate();
  const std::string first = ring.active_kid();
  ring.rotate();
  const KeyRingSummary summary = ring.summary();
  EXPECT_EQ(summary.active, ring.active_kid());
  ASSERT_EQ(summary.keys.size(), 2u);
  EXPECT_EQ(summary.keys[0].kid, first);
  EXPECT_EQ(summary.keys[1].kid, summary.active);
  for (const auto& key : summary.keys) EXPECT_GT(key.created, 0);
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

TEST(KeyRingDpop, EveryRingHasAP256DpopKey) {
  const KeyRing generated = KeyRing::generate();
  ASSERT_TRUE(generated.dpop_key());
  EXPECT_TRUE(is_p256(*generated.dpop_key()));
  EXPECT_FALSE(generated.dpop_key_persisted());
  EXPECT_FALSE(same_key(*generated.dpop_key(), *KeyRing::generate().dpop_key()));
  // An in-memory ring from JSON without one gets a fresh one; with one, keeps it.
  const KeyRing old = KeyRing::from_json(kRingWithoutDpop);
  ASSERT_TRUE(old.dpop_key());
  EXPECT_EQ(old.open(old.seal("t", "aad"), "aad"), "t");
  const KeyRing copy = KeyRing::from_json(generated.to_json());
  EXPECT_TRUE(same_key(*copy.dpop_key(), *generated.dpop_key()));
}

TEST(KeyRingDpop, PersistedAndSurvivesReload) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  const KeyRing ring = KeyRing::load_or_create(file);
  EXPECT_TRUE(ring.dpop_key_persisted());
  const auto stored = boost::json::parse(read_file(file)).as_object();
  ASSERT_TRUE(stored.contains("dpop"));
  EXPECT_TRUE(stored.at("dpop").as_object().at("created").is_int64());
  const KeyRing reloaded = KeyRing::load_or_create(file);
  EXPECT_TRUE(same_key(*reloaded.dpop_key(), *ring.dpop_key()));
  EXPECT_EQ(reloaded.dpop_key()->created(), ring.dpop_key()->created());
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(KeyRingDpop, RotateReplacesItAndPersists) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  KeyRing ring = KeyRing::load_or_create(file);
  const auto before = ring.dpop_key();
  ring.rotate();
  const auto after = ring.dpop_key();
  EXPECT_FALSE(same_key(*before, *after));
  EXPECT_TRUE(same_key(*before, *before));  // the old holder's key still works
  EXPECT_TRUE(same_key(*KeyRing::load_or_create(file).dpop_key(), *after));
  // In memory too, without a file.
  KeyRing memory = KeyRing::generate();
  const auto first = memory.dpop_key();
  memory.rotate();
  EXPECT_FALSE(same_key(*first, *memory.dpop_key()));
}

TEST(KeyRingDpop, AnOlderFileGetsOneWrittenBackOnce) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  write_file(file, kRingWithoutDpop, 0600);
  const KeyRing ring = KeyRing::load_or_create(file);
  EXPECT_EQ(ring.active_kid(), "old");
  EXPECT_TRUE(ring.dpop_key_persisted());
  const std::string upgraded = read_file(file);
  EXPECT_NE(upgraded.find("\"dpop\""), std::string::npos);
  EXPECT_NE(upgraded.find("\"old\""), std::string::npos);  // the ticket keys are kept
  const KeyRing reloaded = KeyRing::load_or_create(file);
  EXPECT_TRUE(same_key(*reloaded.dpop_key(), *ring.dpop_key()));
  EXPECT_EQ(read_file(file), upgraded);  // not rewritten again
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename(), "keys.json");
}

TEST(KeyRingDpop, AnOlderFileThatCannotBeRewrittenStillLoads) {
  TempDir dir;
  // Root ignores file modes, so make the rewrite fail another way: the temporary file beside it
  // ("<name>.tmp-XXXXXXXX") would have a name longer than NAME_MAX.
  const auto file = dir.path() / std::string(250, 'k');
  write_file(file, kRingWithoutDpop, 0600);
  KeyRing ring = KeyRing::load_or_create(file);
  EXPECT_EQ(ring.active_kid(), "old");
  ASSERT_TRUE(ring.dpop_key());
  EXPECT_FALSE(ring.dpop_key_persisted());
  EXPECT_EQ(read_file(file), kRingWithoutDpop);
  EXPECT_THROW(ring.rotate(), KeyRingError);  // as before: rotation needs a writable file
}

TEST(KeyRingDpop, CorruptDpopKeysGiveClearErrors) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  const auto with_dpop = [](const std::string& dpop) {
    std::string json = kRingWithoutDpop;
    json.insert(json.size() - 1, R"(,"dpop":)" + dpop);
    return json;
  };
  const std::string p384 = [] {
    // A valid PKCS#8 key of the wrong curve.
    const PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
    unsigned char* der = nullptr;
    const int len = i2d_PrivateKey(key.get(), &der);
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return base64url_encode(out);
  }();
  const std::pair<std::string, std::string> cases[] = {
      {with_dpop("7"), "\"dpop\" is not an object"},
      {with_dpop(R"({"key":"AAAA"})"), "\"created\""},
      {with_dpop(R"({"created":1})"), "no \"key\""},
      {with_dpop(R"({"created":1,"key":"AAAAAAAAAAAAAAAA"})"), "not a P-256 key pair"},
      {with_dpop(R"({"created":1,"key":"not base64!"})"), "not a P-256 key pair"},
      {with_dpop(R"({"created":1,"key":")" + p384 + R"("})"), "not a P-256 key pair"},
  };
  for (const auto& [text, problem] : cases) {
    write_file(file, text, 0600);
    const std::string error = error_of(file);
    EXPECT_NE(error.find("corrupt"), std::string::npos) << error;
    EXPECT_NE(error.find(problem), std::string::npos) << error;
    EXPECT_EQ(error.find("AAAAAAAA"), std::string::npos) << "key material in message";
    EXPECT_EQ(error.find(p384.substr(0, 16)), std::string::npos) << "key material in message";
  }
}

TEST(KeyRingDpop, Pkcs8RoundTripAndHostileBytes) {
  const auto key = DpopKey::generate(42);
  std::string der = key->to_pkcs8();
  const auto back = DpopKey::from_pkcs8(der, 42);
  ASSERT_TRUE(back);
  EXPECT_TRUE(same_key(*key, *back));
  EXPECT_FALSE(DpopKey::from_pkcs8("", 0));
  EXPECT_FALSE(DpopKey::from_pkcs8(der.substr(0, der.size() - 1), 0));
  EXPECT_FALSE(DpopKey::from_pkcs8(der + "x", 0));
  for (std::size_t i = 0; i < der.size(); i += 7) {
    std::string bad = der;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    const auto parsed = DpopKey::from_pkcs8(bad, 0);
    // A flipped byte either breaks the encoding or the key pair; it never yields another key.
    EXPECT_TRUE(!parsed || same_key(*parsed, *key)) << "byte " << i;
  }
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
  std::thread dpop_reader([&] {
    for (int i = 0; i < 200; ++i)
      if (!ring.dpop_key() || !ring.dpop_key()->pkey()) ++failures;
  });
  for (int i = 0; i < 20; ++i) ring.rotate();
  for (auto& th : threads) th.join();
  dpop_reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ring.size(), 21u);
}

}  // namespace
}  // namespace gatehouse::crypto
