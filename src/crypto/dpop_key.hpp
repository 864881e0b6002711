// The gateway's DPoP key (RFC 9449): a P-256 key pair kept in the key ring file beside the ticket
// keys, so access tokens bound to it survive restarts. Immutable once made; one instance may sign
// from many threads at once (every signature uses its own EVP context).
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace gatehouse::crypto {

class DpopKey {
 public:
  // A fresh random key. Throws std::runtime_error when OpenSSL cannot make one.
  static std::shared_ptr<const DpopKey> generate(std::int64_t created);

  // The key from its PKCS#8 PrivateKeyInfo DER (what the key ring file stores), or nullptr when
  // the bytes are not a consistent P-256 key pair. Never throws on hostile bytes.
  static std::shared_ptr<const DpopKey> from_pkcs8(std::string_view der, std::int64_t created);

  // PKCS#8 PrivateKeyInfo DER. Secret: write it only to the 0600 key ring file; wipe copies.
  std::string to_pkcs8() const;

  EVP_PKEY* pkey() const { return key_.get(); }      // never null; private and public half
  std::int64_t created() const { return created_; }  // unix seconds, informational

 private:
  DpopKey(std::shared_ptr<EVP_PKEY> key, std::int64_t created)
      : key_(std::move(key)), created_(created) {}
  std::shared_ptr<EVP_PKEY> key_;
  std::int64_t created_ = 0;
};

}  // namespace gatehouse::crypto
