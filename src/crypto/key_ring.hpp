// KeyRing: the AES-256-GCM keys that encrypt session tickets at rest, each with a key id so old
// keys keep decrypting after rotation. Safe for concurrent seal/open/rotate from many threads.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gatehouse::crypto {

// A key ring file (or JSON) that cannot be used; the message names the file and the problem but
// never contains key material.
class KeyRingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class KeyRing {
 public:
  // Loads the ring from `file`, or creates it (mode 0600, one fresh key) when it does not exist.
  // Format: {"version":1,"active":"kid","keys":[{"kid":..,"created":unix_seconds,"key":b64url}]}.
  // Throws KeyRingError for an unreadable, corrupt, or group/world-accessible file.
  static KeyRing load_or_create(const std::filesystem::path& file);

  // A ring parsed from the file format held in memory (tests, fuzzing, a secret manager);
  // rotate() on it does not persist. Throws KeyRingError naming `source` when invalid.
  static KeyRing from_json(std::string_view json, std::string_view source = "in-memory key ring");

  // A fresh in-memory ring with one random key.
  static KeyRing generate();

  KeyRing(KeyRing&&) noexcept;
  KeyRing& operator=(KeyRing&&) noexcept;
  ~KeyRing();

  // Adds a new active key and persists the ring (atomically) when it came from a file; older
  // keys keep decrypting. Throws KeyRingError if the file cannot be written (ring unchanged).
  void rotate();

  // Envelope: 0x01 | kid length | kid | 12-byte random nonce | ciphertext | 16-byte tag. The
  // header and `associated_data` are authenticated: an envelope sealed for one session key does
  // not open under another.
  std::string seal(std::string_view plaintext, std::string_view associated_data) const;

  // The plaintext, or nullopt for anything tampered, truncated, or sealed with an unknown key.
  // Never throws on hostile bytes.
  std::optional<std::string> open(std::string_view envelope,
                                  std::string_view associated_data) const;

  std::size_t size() const;
  std::string active_kid() const;

  // The ring in the file format (contains secrets: write it only to a 0600 file).
  std::string to_json() const;

 private:
  struct Impl;
  explicit KeyRing(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::crypto
