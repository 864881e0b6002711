#include "crypto/key_ring.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "crypto/dpop_key.hpp"
#include "crypto/key_ring_file.hpp"
#include "crypto/openssl_ptr.hpp"
#include "crypto/random.hpp"

namespace gatehouse::crypto {
namespace {

constexpr unsigned char kEnvelopeVersion = 1;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

using CipherPtr = std::unique_ptr<EVP_CIPHER, OpensslDeleter<&EVP_CIPHER_free>>;

// Fetched once: implicit fetches on every EVP_*Init are slow, and an EVP_CIPHER is immutable and
// shareable between threads (unlike an EVP_CIPHER_CTX, which each call creates for itself).
const EVP_CIPHER* aes_256_gcm() {
  static const CipherPtr cipher(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  return cipher.get();
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// The authenticated header: version | kid length | kid.
std::string envelope_header(std::string_view kid) {
  std::string header;
  header += static_cast<char>(kEnvelopeVersion);
  header += static_cast<char>(kid.size());
  header += kid;
  return header;
}

bool add_aad(EVP_CIPHER_CTX* ctx, std::string_view aad) {
  int len = 0;
  if (aad.empty()) return true;
  if (aad.size() > INT_MAX) return false;
  return EVP_CipherUpdate(ctx, nullptr, &len, bytes(aad), static_cast<int>(aad.size())) == 1;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

KeyRingKey new_key(const std::vector<KeyRingKey>& existing) {
  KeyRingKey key;
  for (;;) {
    key.kid = random_token(6);
    // A kid is typed on command lines (`gatehouse keys retire KID`): never one that reads as an
    // option there.
    if (key.kid.front() == '-') continue;
    bool taken = false;
    for (const auto& k : existing) taken = taken || k.kid == key.kid;
    if (!taken) break;
  }
  key.created = unix_now();
  std::string secret = random_bytes(kKeyRingKeyBytes);
  std::memcpy(key.secret.data(), secret.data(), kKeyRingKeyBytes);
  OPENSSL_cleanse(secret.data(), secret.size());
  return key;
}

// Wipes a string holding key material however the scope ends (parsing and writing throw).
struct Wiped {
  std::string& s;
  ~Wiped() { OPENSSL_cleanse(s.data(), s.size()); }
};

bool write_ring(const std::filesystem::path& file, const KeyRingData& data, WriteMode mode) {
  std::string json = key_ring_to_json(data);
  const Wiped wipe{json};
  return write_key_ring_file(file, json, mode);
}

KeyRingData parse_file_contents(std::string& contents, std::string_view source) {
  const Wiped wipe{contents};
  return parse_key_ring_json(contents, source);
}

bool same_dpop(const std::shared_ptr<const DpopKey>& a, const std::shared_ptr<const DpopKey>& b) {
  if (!a || !b) return a == b;
  return a == b || EVP_PKEY_eq(a->pkey(), b->pkey()) == 1;
}

const KeyRingKey* find_key(const std::vector<KeyRingKey>& keys, std::string_view kid) {
  for (const auto& k : keys)
    if (k.kid == kid) return &k;
  return nullptr;
}

bool same_keys(const KeyRingData& a, const KeyRingData& b) {
  if (a.active != b.active || a.keys.size() != b.keys.size()) return false;
  for (const auto& k : a.keys) {
    const KeyRingKey* other = find_key(b.keys, k.kid);
    if (!other || other->created != k.created ||
        CRYPTO_memcmp(other->secret.data(), k.secret.data(), kKeyRingKeyBytes) != 0)
      return false;
  }
  return true;
}

}  // namespace

// One version of the ring, never changed once published: seal/open use the current one through
// a per-thread reference (the lock is taken only after a change) and encrypt unlocked, so a reload
// never waits for busy io threads (a reader-preferring rwlock starved it) and never makes them wait
// for the disk.
struct RingState {
  KeyRingData data;
  std::uint64_t generation = 0;  // bumped by every change of the ticket keys
  bool dpop_persisted = false;

  const KeyRingKey* find(std::string_view kid) const { return find_key(data.keys, kid); }
};
using StatePtr = std::shared_ptr<const RingState>;

namespace {
std::atomic<std::uint64_t> next_ring_id{1};  // never reused, unlike an address
}  // namespace

struct KeyRing::Impl {
  Impl(KeyRingData data, bool dpop_persisted, std::optional<std::filesystem::path> f)
      : file(std::move(f)),
        state(std::make_shared<const RingState>(RingState{std::move(data), 0, dpop_persisted})) {}

  std::optional<std::filesystem::path> file;  // set when rotate()/retire() persist, reload() reads
  std::mutex change_mutex;   // one rotate/retire/reload at a time (file writes included)
  mutable std::mutex mutex;  // guards `state`, the pointer only: held for a copy
  StatePtr state;
  // Bumped (under `mutex`) by every publish; `generation` mirrors state->generation. Both are
  // read without the lock on the request path.
  std::atomic<std::uint64_t> version{0};
  std::atomic<std::uint64_t> generation{0};
  const std::uint64_t id = next_ring_id.fetch_add(1, std::memory_order_relaxed);

  StatePtr current() const {
    std::lock_guard lock(mutex);
    return state;
  }

  // For seal/open on the io threads: each thread keeps its own reference to the state it last
  // saw and takes the lock only when a publish happened since (or it last used another ring), so
  // io threads share no lock and no reference count here: only `version`, read-mostly. The state
  // stays valid until this thread's next read() (of any ring); a replaced version's keys are
  // wiped when the last thread that saw it moves on (its next seal/open, or its exit).
  const RingState& read() const {
    struct Seen {
      std::uint64_t ring = 0;
      std::uint64_t version = 0;
      StatePtr state;
    };
    thread_local Seen seen;
    if (seen.ring == id && seen.version == version.load(std::memory_order_acquire))
      return *seen.state;
    std::lock_guard lock(mutex);
    seen = Seen{id, version.load(std::memory_order_relaxed), state};
    return *seen.state;
  }

  void publish(RingState next) {
    auto fresh = std::make_shared<const RingState>(std::move(next));
    StatePtr old;  // released (its keys wiped) outside the lock
    std::lock_guard lock(mutex);
    generation.store(fresh->generation, std::memory_order_release);
    old = std::exchange(state, std::move(fresh));
    version.fetch_add(1, std::memory_order_release);
  }
};

KeyRing::KeyRing(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KeyRing::KeyRing(KeyRing&&) noexcept = default;
KeyRing& KeyRing::operator=(KeyRing&&) noexcept = default;
KeyRing::~KeyRing() = default;

KeyRing KeyRing::load_or_create(const std::filesystem::path& file) {
  const std::string source = "key ring file " + file.string();
  // Three rounds: if another process creates the file between our read and our create, load its;
  // after upgrading an older file with a DPoP key, load what is on disk (another process starting
  // at the same moment may have written its own key last: then both use that one).
  for (int round = 0; round < 3; ++round) {
    if (auto contents = read_key_ring_file(file)) {
      KeyRingData data = parse_file_contents(*contents, source);
      const bool persisted = data.dpop != nullptr;
      if (persisted || round == 2) {
        if (!data.dpop) data.dpop = DpopKey::generate(unix_now());
        return KeyRing(std::make_unique<Impl>(std::move(data), persisted, file));
      }
      data.dpop = DpopKey::generate(unix_now());
      try {
        write_ring(file, data, WriteMode::replace);
      } catch (const KeyRingError&) {
        // Read-only (a mounted secret): the ring still works, the DPoP key is per process.
        return KeyRing(std::make_unique<Impl>(std::move(data), false, file));
      }
      continue;
    }
    KeyRingData data;
    data.keys.push_back(new_key({}));
    data.active = data.keys.back().kid;
    data.dpop = DpopKey::generate(unix_now());
    if (write_ring(file, data, WriteMode::create_new))
      return KeyRing(std::make_unique<Impl>(std::move(data), true, file));
  }
  throw KeyRingError(source + " keeps appearing and disappearing; cannot load it");
}

KeyRing KeyRing::from_json(std::string_view json, std::string_view source) {
  KeyRingData data = parse_key_ring_json(json, source);
  if (!data.dpop) data.dpop = DpopKey::generate(unix_now());
  return KeyRing(std::make_unique<Impl>(std::move(data), false, std::nullopt));
}

KeyRing KeyRing::generate() {
  KeyRingData data;
  data.keys.push_back(new_key({}));
  data.active = data.keys.back().kid;
  data.dpop = DpopKey::generate(unix_now());
  return KeyRing(std::make_unique<Impl>(std::move(data), false, std::nullopt));
}

void KeyRing::rotate() {
  std::lock_guard change(impl_->change_mutex);
  const StatePtr now = impl_->current();
  RingState next{now->data, now->generation + 1, now->dpop_persisted};
  next.data.keys.push_back(new_key(next.data.keys));
  next.data.active = next.data.keys.back().kid;
  next.data.dpop = DpopKey::generate(unix_now());
  if (impl_->file) {
    write_ring(*impl_->file, next.data, WriteMode::replace);
    next.dpop_persisted = true;
  }
  impl_->publish(std::move(next));
}

KeyRing::Reloaded KeyRing::reload() {
  if (!impl_->file) throw std::logic_error("KeyRing::reload: the ring has no file");
  const std::filesystem::path& file = *impl_->file;
  std::lock_guard change(impl_->change_mutex);
  auto contents = read_key_ring_file(file);
  if (!contents) throw KeyRingError("key ring file " + file.string() + " does not exist");
  KeyRingData data = parse_file_contents(*contents, "key ring file " + file.string());
  const bool file_has_dpop = data.dpop != nullptr;

  const StatePtr now = impl_->current();
  Reloaded r;
  if (!file_has_dpop) data.dpop = now->data.dpop;  // keep this process's key
  r.dpop_changed = !same_dpop(data.dpop, now->data.dpop);
  r.keys_changed = !same_keys(data, now->data);
  for (const auto& k : data.keys)
    if (!now->find(k.kid)) r.added.push_back(k.kid);
  for (const auto& k : now->data.keys)
    if (!find_key(data.keys, k.kid)) r.removed.push_back(k.kid);
  r.active_kid = data.active;
  r.size = data.keys.size();
  if (r.keys_changed || r.dpop_changed || now->dpop_persisted != file_has_dpop)
    impl_->publish(
        RingState{std::move(data), now->generation + (r.keys_changed ? 1 : 0), file_has_dpop});
  return r;
}

KeyRing::RetireOutcome KeyRing::retire(std::string_view kid) {
  std::lock_guard change(impl_->change_mutex);
  const StatePtr now = impl_->current();
  if (kid == now->data.active) return RetireOutcome::active_key;
  if (!now->find(kid)) return RetireOutcome::unknown_kid;
  RingState next{now->data, now->generation + 1, now->dpop_persisted};
  std::erase_if(next.data.keys, [kid](const KeyRingKey& k) { return k.kid == kid; });
  if (impl_->file) write_ring(*impl_->file, next.data, WriteMode::replace);
  impl_->publish(std::move(next));
  return RetireOutcome::retired;
}

std::uint64_t KeyRing::generation() const {
  return impl_->generation.load(std::memory_order_acquire);
}

std::string KeyRing::seal(std::string_view plaintext, std::string_view associated_data) const {
  if (plaintext.size() > INT_MAX / 2) throw std::length_error("KeyRing::seal: plaintext too large");
  const RingState& ring = impl_->read();
  const KeyRingKey* key = ring.find(ring.data.active);
  const std::string header = envelope_header(key->kid);
  const std::string nonce = random_bytes(kNonceBytes);
  std::string out = header + nonce;
  const std::size_t body = out.size();
  out.resize(body + plaintext.size() + kTagBytes);
  auto* dst = reinterpret_cast<unsigned char*>(out.data());

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  if (!ctx || !aes_256_gcm() ||
      EVP_EncryptInit_ex2(ctx.get(), aes_256_gcm(), key->secret.data(), bytes(nonce), nullptr) !=
          1 ||
      !add_aad(ctx.get(), header) || !add_aad(ctx.get(), associated_data) ||
      EVP_EncryptUpdate(ctx.get(), dst + body, &len, bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), dst + body + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes),
                          dst + body + plaintext.size()) != 1)
    throw std::runtime_error("AES-256-GCM encryption failed");
  return out;
}

std::optional<std::string> KeyRing::open(std::string_view envelope,
                                         std::string_view associated_data) const {
  if (envelope.size() < 2 || static_cast<unsigned char>(envelope[0]) != kEnvelopeVersion)
    return std::nullopt;
  const std::size_t kid_len = static_cast<unsigned char>(envelope[1]);
  if (kid_len == 0 || envelope.size() < 2 + kid_len + kNonceBytes + kTagBytes ||
      envelope.size() > INT_MAX)
    return std::nullopt;
  const std::string_view kid = envelope.substr(2, kid_len);
  const std::string_view header = envelope.substr(0, 2 + kid_len);
  const std::string_view nonce = envelope.substr(2 + kid_len, kNonceBytes);
  const std::string_view rest = envelope.substr(2 + kid_len + kNonceBytes);
  const std::string_view ciphertext = rest.substr(0, rest.size() - kTagBytes);
  unsigned char tag[kTagBytes];
  std::memcpy(tag, rest.data() + ciphertext.size(), kTagBytes);

  const RingState& ring = impl_->read();
  const KeyRingKey* key = ring.find(kid);
  if (!key || !aes_256_gcm()) return std::nullopt;
  std::string out(ciphertext.size(), '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex2(ctx.get(), aes_256_gcm(), key->secret.data(), bytes(nonce), nullptr) !=
          1 ||
      !add_aad(ctx.get(), header) || !add_aad(ctx.get(), associated_data) ||
      EVP_DecryptUpdate(ctx.get(), dst, &len, bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes), tag) !=
          1 ||
      EVP_DecryptFinal_ex(ctx.get(), dst + len, &final_len) != 1) {
    // Unauthenticated plaintext must not linger in freed memory.
    OPENSSL_cleanse(out.data(), out.size());
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

std::size_t KeyRing::size() const {
  return impl_->current()->data.keys.size();
}

std::string KeyRing::active_kid() const {
  return impl_->current()->data.active;
}

KeyRingSummary KeyRing::summary() const {
  const StatePtr ring = impl_->current();
  KeyRingSummary out{.active = ring->data.active};
  out.keys.reserve(ring->data.keys.size());
  for (const auto& k : ring->data.keys) out.keys.push_back({.kid = k.kid, .created = k.created});
  return out;
}

std::shared_ptr<const DpopKey> KeyRing::dpop_key() const {
  return impl_->current()->data.dpop;
}

bool KeyRing::dpop_key_persisted() const {
  return impl_->current()->dpop_persisted;
}

std::string KeyRing::to_json() const {
  return key_ring_to_json(impl_->current()->data);
}

}  // namespace gatehouse::crypto
