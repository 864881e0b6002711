#include "crypto/dpop_key.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <stdexcept>

#include "crypto/openssl_ptr.hpp"

namespace gatehouse::crypto {
namespace {

using EncoderCtxPtr = std::unique_ptr<OSSL_ENCODER_CTX, OpensslDeleter<&OSSL_ENCODER_CTX_free>>;
using DecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, OpensslDeleter<&OSSL_DECODER_CTX_free>>;

std::shared_ptr<EVP_PKEY> shared(EVP_PKEY* key) {
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

bool is_p256_key_pair(EVP_PKEY* key) {
  char group[32] = {};
  std::size_t len = 0;
  if (!EVP_PKEY_is_a(key, "EC") ||
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) !=
          1 ||
      std::string_view(group, len) != "prime256v1")
    return false;
  // Public point on the curve, private scalar in range, and the one matching the other.
  const PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  return check && EVP_PKEY_check(check.get()) == 1;
}

}  // namespace

std::shared_ptr<const DpopKey> DpopKey::generate(std::int64_t created) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key) throw std::runtime_error("DPoP key: P-256 key generation failed");
  return std::shared_ptr<const DpopKey>(new DpopKey(shared(key), created));
}

std::shared_ptr<const DpopKey> DpopKey::from_pkcs8(std::string_view der, std::int64_t created) {
  if (der.empty() || der.size() > 4096) return nullptr;
  EVP_PKEY* raw = nullptr;
  const DecoderCtxPtr ctx(OSSL_DECODER_CTX_new_for_pkey(&raw, "DER", "PrivateKeyInfo", "EC",
                                                        EVP_PKEY_KEYPAIR, nullptr, nullptr));
  const auto* data = reinterpret_cast<const unsigned char*>(der.data());
  std::size_t left = der.size();
  const bool decoded = ctx && OSSL_DECODER_from_data(ctx.get(), &data, &left) == 1 && left == 0;
  std::shared_ptr<EVP_PKEY> key = raw ? shared(raw) : nullptr;
  const bool ok = decoded && key && is_p256_key_pair(key.get());
  ERR_clear_error();  // a refused key leaves entries on this thread's OpenSSL error queue
  if (!ok) return nullptr;
  return std::shared_ptr<const DpopKey>(new DpopKey(std::move(key), created));
}

std::string DpopKey::to_pkcs8() const {
  const EncoderCtxPtr ctx(OSSL_ENCODER_CTX_new_for_pkey(key_.get(), EVP_PKEY_KEYPAIR, "DER",
                                                        "PrivateKeyInfo", nullptr));
  unsigned char* data = nullptr;
  std::size_t len = 0;
  if (!ctx || OSSL_ENCODER_to_data(ctx.get(), &data, &len) != 1 || !data)
    throw std::runtime_error("DPoP key: PKCS#8 encoding failed");
  std::string out(reinterpret_cast<const char*>(data), len);
  OPENSSL_clear_free(data, len);
  return out;
}

}  // namespace gatehouse::crypto
