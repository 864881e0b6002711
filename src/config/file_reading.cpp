#include "config/file_reading.hpp"

#include "posix/unique_fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace gatehouse::config {
namespace {

FileContents failed(std::string problem) {
  FileContents out;
  out.problem = std::move(problem);
  return out;
}

std::string errno_text(int error) {
  std::string text = std::generic_category().message(error);
  if (!text.empty() && text.front() >= 'A' && text.front() <= 'Z')
    text.front() = static_cast<char>(text.front() - 'A' + 'a');
  return text;
}

std::string not_regular(mode_t mode) {
  const char* what = S_ISDIR(mode)    ? "a directory"
                     : S_ISFIFO(mode) ? "a FIFO"
                     : S_ISSOCK(mode) ? "a socket"
                     : S_ISCHR(mode)  ? "a character device"
                     : S_ISBLK(mode)  ? "a block device"
                                      : "not a file";
  return std::string("is ") + what + ", not a regular file";
}

std::string size_text(std::size_t bytes) {
  if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// open() says little when it fails on what is there but cannot be opened (a dangling symlink
// is ENOENT, a socket ENXIO): look at the path itself to say more.
bool names_a_symlink(const std::filesystem::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

FileContents open_problem(const std::filesystem::path& path, int error) {
  struct stat st {};
  if (error == ENOENT && names_a_symlink(path))
    return failed("is a symbolic link to a file that does not exist");
  if (error == ENOENT) {
    auto out = failed("not found");
    out.missing = true;
    return out;
  }
  if (error == ENXIO && ::stat(path.c_str(), &st) == 0) return failed(not_regular(st.st_mode));
  return failed("cannot be opened: " + errno_text(error));
}

}  // namespace

FileContents read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever. The type is
  // checked on the opened descriptor, so a rename in between cannot swap the file.
  const posix::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) return open_problem(path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return failed("cannot be examined: " + errno_text(errno));
  if (!S_ISREG(st.st_mode)) return failed(not_regular(st.st_mode));
  const std::string too_large =
      "is larger than " + size_text(max_bytes) + "; is this the right file?";
  if (st.st_size < 0 || static_cast<std::uintmax_t>(st.st_size) > max_bytes)
    return failed(too_large);

  // Up to one byte more than allowed: the file may have grown since fstat (or, like /proc
  // files, report a size of 0).
  std::string text;
  text.reserve(static_cast<std::size_t>(st.st_size) + 1);
  char chunk[64 * 1024];
  while (text.size() <= max_bytes) {
    const auto n = ::read(fd.get(), chunk, std::min(sizeof chunk, max_bytes + 1 - text.size()));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return failed("cannot be read: " + errno_text(errno));
    }
    text.append(chunk, static_cast<std::size_t>(n));
  }
  if (text.size() > max_bytes) return failed(too_large);
  FileContents out;
  out.text = std::move(text);
  out.permissions = static_cast<std::filesystem::perms>(st.st_mode & 07777);
  return out;
}

}  // namespace gatehouse::config
