#include "crypto/key_ring.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstring>
#include <mutex>
#include <shared_mutex>

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

}  // namespace

struct KeyRing::Impl {
  mutable std::shared_mutex mutex;
  KeyRingData data;
  std::optional<std::filesystem::path> file;  // set when rotate() must persist
  bool dpop_persisted = false;
  std::atomic<std::uint64_t> generation{0};  // bumped by every change of the keys

  const KeyRingKey* find(std::string_view kid) const {
    for (const auto& k : data.keys)
      if (k.kid == kid) return &k;
    return nullptr;
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
    auto impl = std::make_unique<Impl>();
    impl->file = file;
    if (auto contents = read_key_ring_file(file)) {
      impl->data = parse_file_contents(*contents, source);
      impl->dpop_persisted = impl->data.dpop != nullptr;
      if (impl->dpop_persisted || round == 2) {
        if (!impl->data.dpop) impl->data.dpop = DpopKey::generate(unix_now());
        return KeyRing(std::move(impl));
      }
      impl->data.dpop = DpopKey::generate(unix_now());
      try {
        write_ring(file, impl->data, WriteMode::replace);
      } catch (const KeyRingError&) {
        // Read-only (a mounted secret): the ring still works, the DPoP key is per process.
        return KeyRing(std::move(impl));
      }
      continue;
    }
    impl->data.keys.push_back(new_key({}));
    impl->data.active = impl->data.keys.back().kid;
    impl->data.dpop = DpopKey::generate(unix_now());
    impl->dpop_persisted = true;
    if (write_ring(file, impl->data, WriteMode::create_new)) return KeyRing(std::move(impl));
  }
  throw KeyRingError(source + " keeps appearing and disappearing; cannot load it");
}

KeyRing KeyRing::from_json(std::string_view json, std::string_view source) {
  auto impl = std::make_unique<Impl>();
  impl->data = parse_key_ring_json(json, source);
  if (!impl->data.dpop) impl->data.dpop = DpopKey::generate(unix_now());
  return KeyRing(std::move(impl));
}

KeyRing KeyRing::generate() {
  auto impl = std::make_unique<Impl>();
  impl->data.keys.push_back(new_key({}));
  impl->data.active = impl->data.keys.back().kid;
  impl->data.dpop = DpopKey::generate(unix_now());
  return KeyRing(std::move(impl));
}

void KeyRing::rotate() {
  std::unique_lock lock(impl_->mutex);
  KeyRingData next = impl_->data;
  next.keys.push_back(new_key(next.keys));
  next.active = next.keys.back().kid;
  next.dpop = DpopKey::generate(unix_now());
  if (impl_->file) {
    write_ring(*impl_->file, next, WriteMode::replace);
    impl_->dpop_persisted = true;
  }
  impl_->data = std::move(next);
  ++impl_->generation;
}

std::uint64_t KeyRing::generation() const {
  return impl_->generation.load(std::memory_order_acquire);
}

std::string KeyRing::seal(std::string_view plaintext, std::string_view associated_data) const {
  if (plaintext.size() > INT_MAX / 2) throw std::length_error("KeyRing::seal: plaintext too large");
  std::shared_lock lock(impl_->mutex);
  const KeyRingKey* key = impl_->find(impl_->data.active);
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

  std::shared_lock lock(impl_->mutex);
  const KeyRingKey* key = impl_->find(kid);
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
  std::shared_lock lock(impl_->mutex);
  return impl_->data.keys.size();
}

std::string KeyRing::active_kid() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->data.active;
}

std::shared_ptr<const DpopKey> KeyRing::dpop_key() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->data.dpop;
}

bool KeyRing::dpop_key_persisted() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->dpop_persisted;
}

std::string KeyRing::to_json() const {
  std::shared_lock lock(impl_->mutex);
  return key_ring_to_json(impl_->data);
}

}  // namespace gatehouse::crypto
