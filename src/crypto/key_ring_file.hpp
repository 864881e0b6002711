// The key ring's persistent form: JSON (de)serialization and atomic, permission-checked files.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::crypto {

class DpopKey;

inline constexpr std::size_t kKeyRingKeyBytes = 32;
inline constexpr std::size_t kMaxKidLength = 64;

struct KeyRingKey {
  std::string kid;
  std::int64_t created = 0;  // unix seconds, informational
  std::array<unsigned char, kKeyRingKeyBytes> secret{};

  KeyRingKey() = default;
  KeyRingKey(const KeyRingKey&) = default;
  KeyRingKey& operator=(const KeyRingKey&) = default;
  ~KeyRingKey();  // wipes the secret
};

struct KeyRingData {
  std::string active;
  std::vector<KeyRingKey> keys;
  std::shared_ptr<const DpopKey> dpop;  // nullptr: a ring written before DPoP keys existed
};

// Throws KeyRingError("<source> is corrupt: ...") on any structural problem. "dpop" is optional
// ({"created":unix_seconds,"key":b64url PKCS#8}); when present it must be a P-256 key pair.
KeyRingData parse_key_ring_json(std::string_view json, std::string_view source);
std::string key_ring_to_json(const KeyRingData& data);

// The file's contents, or nullopt when it does not exist. Throws KeyRingError when it cannot be
// read, is not a regular file, or is accessible by group or others.
std::optional<std::string> read_key_ring_file(const std::filesystem::path& file);

enum class WriteMode {
  create_new,  // fail (return false) if the file already exists: a concurrent creator won
  replace,     // atomically replace the existing file
};

// Writes via a 0600 temporary file, fsync and rename/link. Throws KeyRingError on I/O errors.
bool write_key_ring_file(const std::filesystem::path& file, std::string_view contents,
                         WriteMode mode);

}  // namespace gatehouse::crypto
