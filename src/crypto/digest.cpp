#include "crypto/digest.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

namespace gatehouse::crypto {

std::string sha256(std::string_view data) {
  std::string out(32, '\0');
  std::size_t len = 0;
  if (EVP_Q_digest(nullptr, "SHA256", nullptr, data.data(), data.size(),
                   reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != out.size())
    throw std::runtime_error("SHA-256 failed");
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(32, '\0');
  std::size_t len = 0;
  // A non-null pointer even for an empty key: the HMAC provider refuses a null key.
  static const unsigned char kEmpty = 0;
  const auto* key_ptr = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key_ptr, key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                reinterpret_cast<unsigned char*>(out.data()), out.size(), &len) == nullptr ||
      len != out.size())
    throw std::runtime_error("HMAC-SHA-256 failed");
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace gatehouse::crypto
