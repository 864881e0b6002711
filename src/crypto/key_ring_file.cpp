#include "crypto/key_ring_file.hpp"

#include "posix/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <boost/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "crypto/base64.hpp"
#include "crypto/dpop_key.hpp"
#include "crypto/key_ring.hpp"
#include "crypto/random.hpp"

namespace gatehouse::crypto {
namespace {

constexpr std::size_t kMaxFileBytes = 1 << 20;
constexpr std::size_t kMaxKeys = 1000;

[[noreturn]] void corrupt(std::string_view source, std::string_view problem) {
  throw KeyRingError(std::string(source) + " is corrupt: " + std::string(problem));
}

[[noreturn]] void io_error(std::string_view what, const std::filesystem::path& file, int err) {
  throw KeyRingError(std::string(what) + " key ring file " + file.string() + ": " +
                     std::strerror(err));
}

bool valid_kid(std::string_view kid) {
  if (kid.empty() || kid.size() > kMaxKidLength) return false;
  for (const char c : kid)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

KeyRingKey parse_key(const boost::json::value& v, std::string_view source) {
  const auto* obj = v.if_object();
  if (!obj) corrupt(source, "a \"keys\" entry is not an object");
  const auto* kid = obj->if_contains("kid");
  if (!kid || !kid->is_string() || !valid_kid(kid->get_string()))
    corrupt(source, "a key has a missing or invalid \"kid\" (1-64 printable characters)");
  KeyRingKey key;
  key.kid = std::string(kid->get_string());
  const auto* created = obj->if_contains("created");
  if (!created || !created->is_int64())
    corrupt(source, "key \"" + key.kid + "\" has a missing or non-integer \"created\"");
  key.created = created->get_int64();
  const auto* secret = obj->if_contains("key");
  if (!secret || !secret->is_string()) corrupt(source, "key \"" + key.kid + "\" has no \"key\"");
  auto bytes = base64url_decode(secret->get_string());
  if (!bytes || bytes->size() != kKeyRingKeyBytes)
    corrupt(source, "key \"" + key.kid + "\" is not 32 bytes of unpadded base64url");
  std::memcpy(key.secret.data(), bytes->data(), kKeyRingKeyBytes);
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return key;
}

std::shared_ptr<const DpopKey> parse_dpop_key(const boost::json::value& v,
                                              std::string_view source) {
  const auto* obj = v.if_object();
  if (!obj) corrupt(source, "\"dpop\" is not an object");
  const auto* created = obj->if_contains("created");
  if (!created || !created->is_int64())
    corrupt(source, "the DPoP key has a missing or non-integer \"created\"");
  const auto* key = obj->if_contains("key");
  if (!key || !key->is_string()) corrupt(source, "the DPoP key has no \"key\"");
  auto der = base64url_decode(key->get_string());
  auto dpop = der ? DpopKey::from_pkcs8(*der, created->get_int64()) : nullptr;
  if (der) OPENSSL_cleanse(der->data(), der->size());
  if (!dpop) corrupt(source, "the DPoP key is not a P-256 key pair (unpadded base64url PKCS#8)");
  return dpop;
}

void fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the rename itself already happened
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

KeyRingKey::~KeyRingKey() {
  OPENSSL_cleanse(secret.data(), secret.size());
}

KeyRingData parse_key_ring_json(std::string_view json, std::string_view source) {
  if (json.size() > kMaxFileBytes) corrupt(source, "larger than 1 MiB");
  boost::json::parse_options options;
  options.max_depth = 8;
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(json, ec, {}, options);
  if (ec) corrupt(source, "not valid JSON (" + ec.message() + ")");
  const auto* obj = root.if_object();
  if (!obj) corrupt(source, "not a JSON object");
  const auto* version = obj->if_contains("version");
  if (!version || !version->is_int64() || version->get_int64() != 1)
    corrupt(source, "\"version\" must be 1");
  const auto* keys = obj->if_contains("keys");
  if (!keys || !keys->is_array() || keys->get_array().empty())
    corrupt(source, "\"keys\" must be a non-empty array");
  if (keys->get_array().size() > kMaxKeys) corrupt(source, "more than 1000 keys");
  KeyRingData data;
  std::set<std::string> seen;
  for (const auto& v : keys->get_array()) {
    data.keys.push_back(parse_key(v, source));
    if (!seen.insert(data.keys.back().kid).second)
      corrupt(source, "duplicate kid \"" + data.keys.back().kid + "\"");
  }
  const auto* active = obj->if_contains("active");
  if (!active || !active->is_string() || !seen.contains(std::string(active->get_string())))
    corrupt(source, "\"active\" must name one of the keys");
  data.active = std::string(active->get_string());
  if (const auto* dpop = obj->if_contains("dpop")) data.dpop = parse_dpop_key(*dpop, source);
  return data;
}

std::string key_ring_to_json(const KeyRingData& data) {
  boost::json::array keys;
  for (const auto& k : data.keys) {
    const std::string_view secret(reinterpret_cast<const char*>(k.secret.data()), k.secret.size());
    keys.push_back(boost::json::object{
        {"kid", k.kid}, {"created", k.created}, {"key", base64url_encode(secret)}});
  }
  boost::json::object root{{"version", 1}, {"active", data.active}, {"keys", std::move(keys)}};
  if (data.dpop) {
    std::string der = data.dpop->to_pkcs8();
    root["dpop"] =
        boost::json::object{{"created", data.dpop->created()}, {"key", base64url_encode(der)}};
    OPENSSL_cleanse(der.data(), der.size());
  }
  return boost::json::serialize(root) + "\n";
}

std::optional<std::string> read_key_ring_file(const std::filesystem::path& file) {
  // O_NONBLOCK: a FIFO at keys.path must not hang start-up (it is refused as not regular below).
  const posix::UniqueFd opened(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!opened) {
    if (errno == ENOENT) return std::nullopt;
    io_error("cannot open", file, errno);
  }
  const int fd = opened.get();
  struct stat st {};
  if (::fstat(fd, &st) != 0) io_error("cannot stat", file, errno);
  if (!S_ISREG(st.st_mode))
    throw KeyRingError("key ring file " + file.string() + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw KeyRingError("key ring file " + file.string() + " has mode " + mode +
                       " and is accessible by group or others; refusing to use it "
                       "(run: chmod 600 " +
                       file.string() + ")");
  }
  if (static_cast<std::uintmax_t>(st.st_size) > kMaxFileBytes)
    throw KeyRingError("key ring file " + file.string() + " is larger than 1 MiB");
  std::string contents;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) io_error("cannot read", file, errno);
    if (n == 0) break;
    contents.append(buffer, static_cast<std::size_t>(n));
    if (contents.size() > kMaxFileBytes)
      throw KeyRingError("key ring file " + file.string() + " is larger than 1 MiB");
  }
  OPENSSL_cleanse(buffer, sizeof buffer);
  return contents;
}

bool write_key_ring_file(const std::filesystem::path& file, std::string_view contents,
                         WriteMode mode) {
  std::filesystem::path tmp = file;
  tmp += ".tmp-" + random_token(6);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) io_error("cannot create", file, errno);
  auto fail = [&](std::string_view what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    io_error(what, file, err);
  };
  if (::fchmod(fd, 0600) != 0) fail("cannot chmod", errno);
  for (std::size_t done = 0; done < contents.size();) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", errno);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("cannot fsync", errno);
  ::close(fd);
  bool written = true;
  if (mode == WriteMode::create_new) {
    // link() fails with EEXIST instead of overwriting: two processes creating the ring at once
    // must agree on one key, or tickets sealed by the loser would never open again.
    if (::link(tmp.c_str(), file.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      if (err != EEXIST) io_error("cannot create", file, err);
      written = false;
    } else {
      ::unlink(tmp.c_str());
    }
  } else if (::rename(tmp.c_str(), file.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    io_error("cannot replace", file, err);
  }
  fsync_directory(file.has_parent_path() ? file.parent_path() : std::filesystem::path("."));
  return written;
}

}  // namespace gatehouse::crypto
