// KeyRing: the AES-256-GCM keys that encrypt session tickets at rest, each with a key id so old
// keys keep decrypting after rotation, and the gateway's DPoP key (RFC 9449, a P-256 key pair).
// Safe for concurrent seal/open/dpop_key/rotate/retire/reload from many threads: every change
// publishes a whole new version of the ring, and readers use the version they took, lock-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::crypto {

class DpopKey;

// What an operator may see of a ring: key ids and creation times, never key material.
struct KeyRingSummary {
  struct Key {
    std::string kid;
    std::int64_t created = 0;  // unix seconds (as the file records it)
  };
  std::string active;     // the kid new tickets are sealed with
  std::vector<Key> keys;  // in the file's order (oldest first)
};

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

  // What reload() found in the file.
  struct Reloaded {
    bool keys_changed = false;  // other ticket keys or another active key: generation() moved
    bool dpop_changed = false;  // another DPoP key: holders of dpop_key() should take the new one
    std::string active_kid;
    std::size_t size = 0;
    std::vector<std::string> added;    // kids now in the ring that were not before
    std::vector<std::string> removed;  // kids gone from the ring: their tickets no longer open
  };

  // Re-reads the file the ring was loaded from (load_or_create) and, when it differs, replaces
  // the whole ring at once: a concurrent seal/open sees either the old ring or the new one, never
  // a mix. A file without a DPoP key keeps the current one. Throws KeyRingError (the ring stays
  // as it was) when the file is missing, unreadable, group/world-accessible or corrupt, and
  // std::logic_error for a ring that has no file. Never writes the file.
  Reloaded reload();

  enum class RetireOutcome {
    retired,      // gone from the ring (and its file): tickets sealed with it no longer open
    active_key,   // refused: rotate first, so that new tickets are sealed with another key
    unknown_kid,  // refused: no key with that kid
  };
  // Removes a key that is not the active one and persists the ring (atomically, 0600) when it
  // came from a file. Throws KeyRingError if the file cannot be written (ring unchanged).
  RetireOutcome retire(std::string_view kid);

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
  // The key ids and the active one, read at one moment (a concurrent rotate() is either wholly
  // in it or not at all).
  KeyRingSummary summary() const;
  // Changes whenever the keys do (rotate(), retire(), a reload() with other keys): what was opened
  // under an older generation may no longer open (tickets/opened_tickets.hpp).
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
