// KeyRingWatch: keeps a running gateway's key ring in step with its file, so `gatehouse keys
// rotate` and `keys retire` take effect without a restart. The file is re-read when it changes
// (inotify on its directory, which also sees the rename-over of an atomic write and a Kubernetes
// secret's `..data` swap; a 1 s poll of its identity, size and times where inotify is not
// available) and whenever reload() is called (SIGHUP). A file that cannot be used keeps the
// current ring and logs why (never key material).
//
// Everything runs on the executor given (the gateway's control strand); nothing blocks but
// reading the small file itself. Not thread-safe: call start/stop/reload on that executor (or
// before it runs).
#pragma once

#include "crypto/key_ring.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

namespace gatehouse::crypto {

struct KeyRingWatchOptions {
  std::chrono::milliseconds poll_interval{1000};  // without inotify
  // After an event, wait this long for the directory to go quiet: a file written in place is
  // read once it is complete, not half-way through.
  std::chrono::milliseconds settle{100};
  bool use_inotify = true;  // false: poll only
};

class KeyRingWatch {
 public:
  // Called after every reload that changed the ring (on the executor); must not throw.
  using OnChange = std::function<void(const KeyRing::Reloaded&)>;
  enum class Mode { idle, inotify, poll };

  // `ring` must have been loaded from `file` (KeyRing::load_or_create).
  KeyRingWatch(boost::asio::any_io_executor executor, std::shared_ptr<KeyRing> ring,
               std::filesystem::path file, OnChange on_change, KeyRingWatchOptions options = {});
  ~KeyRingWatch();  // stops
  KeyRingWatch(const KeyRingWatch&) = delete;
  KeyRingWatch& operator=(const KeyRingWatch&) = delete;

  // Starts watching: inotify when it can, else polling (logged once).
  void start();
  void stop();
  // Re-reads the file now, whether or not it looks changed. True when the ring is the file's
  // (reloaded or already equal), false when the file could not be used (logged).
  bool reload();
  Mode mode() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace gatehouse::crypto
