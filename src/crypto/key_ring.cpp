#include "crypto/key_ring.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <mutex>
#include <shared_mutex>

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

KeyRingKey new_key(const std::vector<KeyRingKey>& existing) {
  KeyRingKey key;
  for (;;) {
    key.kid = random_token(6);
    bool taken = false;
    for (const auto& k : existing) taken = taken || k.kid == key.kid;
    if (!taken) break;
  }
  key.created = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::string secret = random_bytes(kKeyRingKeyBytes);
  std::memcpy(key.secret.data(), secret.data(), kKeyRingKeyBytes);
  OPENSSL_cleanse(secret.data(), secret.size());
  return key;
}

}  // namespace

struct KeyRing::Impl {
  mutable std::shared_mutex mutex;
  KeyRingData data;
  std::optional<std::filesystem::path> file;  // set when rotate() must persist

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
  // Two rounds: if another process creates the file between our read and our create, load its.
  for (int round = 0; round < 2; ++round) {
    auto impl = std::make_unique<Impl>();
    impl->file = file;
    if (auto contents = read_key_ring_file(file)) {
      impl->data = parse_key_ring_json(*contents, source);
      OPENSSL_cleanse(contents->data(), contents->size());
      return KeyRing(std::move(impl));
    }
    impl->data.keys.push_back(new_key({}));
    impl->data.active = impl->data.keys.back().kid;
    std::string json = key_ring_to_json(impl->data);
    const bool created = write_key_ring_file(file, json, WriteMode::create_new);
    OPENSSL_cleanse(json.data(), json.size());
    if (created) return KeyRing(std::move(impl));
  }
  throw KeyRingError(source + " keeps appearing and disappearing; cannot load it");
}

KeyRing KeyRing::from_json(std::string_view json, std::string_view source) {
  auto impl = std::make_unique<Impl>();
  impl->data = parse_key_ring_json(json, source);
  return KeyRing(std::move(impl));
}

KeyRing KeyRing::generate() {
  auto impl = std::make_unique<Impl>();
  impl->data.keys.push_back(new_key({}));
  impl->data.active = impl->data.keys.back().kid;
  return KeyRing(std::move(impl));
}

void KeyRing::rotate() {
  std::unique_lock lock(impl_->mutex);
  KeyRingData next = impl_->data;
  next.keys.push_back(new_key(next.keys));
  next.active = next.keys.back().kid;
  if (impl_->file) {
    std::string json = key_ring_to_json(next);
    write_key_ring_file(*impl_->file, json, WriteMode::replace);
    OPENSSL_cleanse(json.data(), json.size());
  }
  impl_->data = std::move(next);
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

std::string KeyRing::to_json() const {
  std::shared_lock lock(impl_->mutex);
  return key_ring_to_json(impl_->data);
}

}  // namespace gatehouse::crypto
