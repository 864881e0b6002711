// Test support: a throwaway self-signed certificate (P-256, SAN IP:127.0.0.1) written as PEM.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace gatehouse::testing {

struct CertificateFiles {
  std::filesystem::path certificate;
  std::filesystem::path private_key;
};

inline void add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext || !X509_add_ext(cert, ext, -1)) throw std::runtime_error("X509 extension");
  X509_EXTENSION_free(ext);
}

inline CertificateFiles make_self_signed(const std::filesystem::path& dir) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) throw std::runtime_error("openssl allocation");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("gatehouse test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), NID_subject_alt_name, "IP:127.0.0.1");
  if (!X509_sign(cert.get(), key.get(), EVP_sha256())) throw std::runtime_error("X509_sign");

  CertificateFiles files{dir / "cert.pem", dir / "key.pem"};
  std::unique_ptr<FILE, decltype(&std::fclose)> c(std::fopen(files.certificate.c_str(), "w"),
                                                  std::fclose);
  std::unique_ptr<FILE, decltype(&std::fclose)> k(std::fopen(files.private_key.c_str(), "w"),
                                                  std::fclose);
  if (!c || !k || !PEM_write_X509(c.get(), cert.get()) ||
      !PEM_write_PrivateKey(k.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
    throw std::runtime_error("writing PEM files");
  return files;
}

}  // namespace gatehouse::testing
