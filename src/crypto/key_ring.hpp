// KeyRing: the AES-256-GCM keys that encrypt session tickets at rest, each with a key id so old
// keys keep decrypting after rotation, and the gateway's DPoP key (RFC 9449, a P-256 key pair).
// Safe for concurrent seal/open/dpop_key/rotate from many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gatehouse::crypto {

class DpopKey;

// A key ring file (or JSON) that cannot be used; the message names the file and the problem but
// never contains key material.
class KeyRingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class KeyRing {
 public:
  // Loads the ring from `file`, or creates it (mode 0600, one fresh key and a DPoP key) when it
  // does not exist. Format: {"version":1,"active":"kid","keys":[{"kid":..,"created":unix_seconds,
  // "key":b64url}],"dpop":{"created":unix_seconds,"key":b64url PKCS#8}}. A file from before DPoP
  // keys gets one, written back at once (atomically, 0600); when the file cannot be written (a
  // read-only mount) the key lives in memory only: see dpop_key_persisted().
  // Throws KeyRingError for an unreadable, corrupt, or group/world-accessible file.
  static KeyRing load_or_create(const std::filesystem::path& file);

  // A ring parsed from the file format held in memory (tests, fuzzing, a secret manager), given a
  // fresh DPoP key when it has none; rotate() on it does not persist. Throws KeyRingError naming
  // `source` when invalid.
  static KeyRing from_json(std::string_view json, std::string_view source = "in-memory key ring");

  // A fresh in-memory ring with one random key and a random DPoP key.
  static KeyRing generate();

  KeyRing(KeyRing&&) noexcept;
  KeyRing& operator=(KeyRing&&) noexcept;
  ~KeyRing();

  // Adds a new active key, replaces the DPoP key, and persists the ring (atomically) when it came
  // from a file; older ticket keys keep decrypting, the old DPoP key is gone (tokens bound to it
  // need a refresh). Throws KeyRingError if the file cannot be written (ring unchanged).
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
  // Changes whenever the keys do (rotate()): what was opened under an older generation may no
  // longer open (tickets/opened_tickets.hpp).
  std::uint64_t generation() const;

  // The current DPoP key; never null. Holders keep theirs alive across a rotate().
  std::shared_ptr<const DpopKey> dpop_key() const;
  // True when the DPoP key is in the ring's file (false for in-memory rings, and for a file that
  // could not be upgraded: then the key changes at every restart).
  bool dpop_key_persisted() const;

  // The ring in the file format (contains secrets: write it only to a 0600 file).
  std::string to_json() const;

 private:
  struct Impl;
  explicit KeyRing(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::crypto
