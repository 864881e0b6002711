#include "crypto/digest.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace gatehouse::crypto {
namespace {

// Fetched once: EVP_Q_digest and EVP_Q_mac look the algorithm up by name (a locked provider
// query) on every call, which was 2% of a /bff/user request. Fetched objects are immutable and
// shared by every thread; they live as long as the process.
const EVP_MD* sha256_md() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!fetched) throw std::runtime_error("SHA-256 is not available");
    return fetched;
  }();
  return md;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

// This thread's digest context, kept between calls: EVP_Digest allocates and frees one per call
// (one allocation per request, for the store key). Re-initialised for the same digest it keeps
// its provider state, so a call allocates nothing.
EVP_MD_CTX* thread_md_ctx() {
  thread_local const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const noexcept { EVP_MAC_CTX_free(ctx); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

// An HMAC-SHA-256 context with its digest set and no key: every call duplicates it (no lookup
// by name) and keys the copy. Only ever read after it is built, so every thread may dup it.
const EVP_MAC_CTX* hmac_sha256_prototype() {
  static const MacCtx prototype = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!mac) throw std::runtime_error("HMAC is not available");
    MacCtx ctx(EVP_MAC_CTX_new(mac));
    EVP_MAC_free(mac);  // the context holds its own reference
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_END};
    if (!ctx || EVP_MAC_CTX_set_params(ctx.get(), params) != 1)
      throw std::runtime_error("HMAC-SHA-256 is not available");
    return ctx;
  }();
  return prototype.get();
}

}  // namespace

std::string sha256(std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  EVP_MD_CTX* ctx = thread_md_ctx();
  if (!ctx || EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
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
  MacCtx ctx(EVP_MAC_CTX_dup(hmac_sha256_prototype()));
  if (!ctx || EVP_MAC_init(ctx.get(), key_ptr, key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) !=
          1 ||
      len != out.size())
    throw std::runtime_error("HMAC-SHA-256 failed");
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace gatehouse::crypto
