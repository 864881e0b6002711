#include "crypto/key_ring_watch.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace gatehouse::crypto {
namespace {

// One version of the file, told apart without reading it: a rename-over changes the inode, a
// write in place the size or the times, a chmod the mode and ctime.
struct FileStamp {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  mode_t mode = 0;
  timespec mtime{};
  timespec ctime{};

  bool operator==(const FileStamp& o) const {
    return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size && mode == o.mode &&
           mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec &&
           ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
  }
};

FileStamp stamp(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  return {true, st.st_dev, st.st_ino, st.st_size, st.st_mode, st.st_mtim, st.st_ctim};
}

std::string joined(const std::vector<std::string>& kids) {
  std::string out;
  for (const auto& kid : kids) out += (out.empty() ? "" : ", ") + kid;
  return out;
}

}  // namespace

struct KeyRingWatch::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::any_io_executor ex, std::shared_ptr<KeyRing> r, std::filesystem::path f,
       OnChange change, KeyRingWatchOptions o)
      : ring(std::move(r)),
        file(std::move(f)),
        on_change(std::move(change)),
        options(o),
        timer(ex),
        events(ex) {}

  std::shared_ptr<KeyRing> ring;
  std::filesystem::path file;
  OnChange on_change;
  KeyRingWatchOptions options;
  boost::asio::steady_timer timer;  // the settle delay (inotify) or the poll interval
  boost::asio::posix::stream_descriptor events;
  Mode mode = Mode::idle;
  FileStamp seen;  // the version last read, used or refused: refused once, warned once
  alignas(inotify_event) std::array<char, 8192> buffer{};

  bool reload_now() {
    const FileStamp before = stamp(file);
    KeyRing::Reloaded r;
    try {
      r = ring->reload();
    } catch (const std::exception& e) {
      seen = before;
      spdlog::warn("key ring not reloaded, keeping the current one (active key {}, {} key(s)): {}",
                   ring->active_kid(), ring->size(), e.what());
      return false;
    }
    // Taken before the read: a change racing it shows as a new version and is read again.
    seen = before;
    if (!r.keys_changed && !r.dpop_changed) {
      spdlog::debug("key ring file {} unchanged", file.string());
      return true;
    }
    spdlog::info("key ring reloaded from {}: active key {}, {} key(s){}{}{}", file.string(),
                 r.active_kid, r.size, r.added.empty() ? "" : "; added " + joined(r.added),
                 r.removed.empty()
                     ? ""
                     : "; retired " + joined(r.removed) + " (sessions sealed with them end)",
                 r.dpop_changed ? "; new DPoP key" : "");
    if (on_change) on_change(r);
    return true;
  }

  void check() {
    if (stamp(file) == seen) return;
    reload_now();
  }

  void poll() {
    mode = Mode::poll;
    timer.expires_after(options.poll_interval);
    timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (!self || ec || self->mode != Mode::poll) return;
      self->check();
      self->poll();
    });
  }

  void fall_back_to_polling(std::string_view why) {
    boost::system::error_code ignored;
    events.close(ignored);
    spdlog::warn("key ring: {}; checking {} every {} ms instead", why, file.string(),
                 options.poll_interval.count());
    poll();
  }

  void settle_then_check() {
    timer.expires_after(options.settle);  // a wait already pending ends as operation_aborted
    timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (!self || ec || self->mode != Mode::inotify) return;
      self->check();
    });
  }

  bool start_inotify() {
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      fall_back_to_polling(std::string("inotify unavailable (") + std::strerror(errno) + ")");
      return false;
    }
    const std::filesystem::path dir =
        file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    // The directory, not the file: an atomic write renames a new file over the watched one.
    constexpr std::uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                   IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                                   IN_ONLYDIR;
    if (::inotify_add_watch(fd, dir.c_str(), mask) < 0) {
      const int err = errno;
      ::close(fd);
      fall_back_to_polling("cannot watch " + dir.string() + " (" + std::strerror(err) + ")");
      return false;
    }
    events.assign(fd);
    mode = Mode::inotify;
    read_events();
    return true;
  }

  void read_events() {
    events.async_read_some(
        boost::asio::buffer(buffer),
        [weak = weak_from_this()](const boost::system::error_code& ec, std::size_t n) {
          auto self = weak.lock();
          if (!self || ec == boost::asio::error::operation_aborted || self->mode != Mode::inotify)
            return;
          if (ec) {
            self->fall_back_to_polling("inotify failed (" + ec.message() + ")");
            return;
          }
          if (self->handle_events(n)) self->read_events();
        });
  }

  // False when the watch is gone (polling took over).
  bool handle_events(std::size_t n) {
    const std::string name = file.filename().string();
    bool relevant = false;
    for (std::size_t at = 0; at + sizeof(inotify_event) <= n;) {
      inotify_event event{};
      std::memcpy(&event, buffer.data() + at, sizeof event);
      const std::size_t len = std::min<std::size_t>(event.len, n - at - sizeof event);
      std::string_view entry(buffer.data() + at + sizeof event, len);
      entry = entry.substr(0, entry.find('\0'));
      at += sizeof event + len;
      if (event.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
        fall_back_to_polling("the key ring's directory is no longer watched");
        check();
        return false;
      }
      // The file itself, a lost event, or a Kubernetes secret's ..data symlink swap.
      if ((event.mask & IN_Q_OVERFLOW) || entry == name || entry.starts_with("..")) relevant = true;
    }
    if (relevant) settle_then_check();
    return true;
  }

  void stop() {
    mode = Mode::idle;
    timer.cancel();
    boost::system::error_code ignored;
    events.close(ignored);
  }
};

KeyRingWatch::KeyRingWatch(boost::asio::any_io_executor executor, std::shared_ptr<KeyRing> ring,
                           std::filesystem::path file, OnChange on_change,
                           KeyRingWatchOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(ring), std::move(file),
                                   std::move(on_change), options)) {}

KeyRingWatch::~KeyRingWatch() {
  impl_->stop();
}

void KeyRingWatch::start() {
  if (impl_->mode != Mode::idle) return;
  // Whatever changed since the ring was loaded counts too.
  impl_->reload_now();
  if (!impl_->options.use_inotify || !impl_->start_inotify()) {
    if (impl_->mode == Mode::idle) impl_->poll();
  }
  if (impl_->mode == Mode::inotify)
    spdlog::info("key ring: re-read when {} changes (inotify) and at SIGHUP", impl_->file.string());
  else
    spdlog::info("key ring: re-read when {} changes (checked every {} ms) and at SIGHUP",
                 impl_->file.string(), impl_->options.poll_interval.count());
}

void KeyRingWatch::stop() {
  impl_->stop();
}

bool KeyRingWatch::reload() {
  return impl_->reload_now();
}

KeyRingWatch::Mode KeyRingWatch::mode() const {
  return impl_->mode;
}

}  // namespace gatehouse::crypto
