// Reading a file the operator named (the config file, and any file a setting names that is read
// at start-up): never blocking, only a regular file, bounded in size, every failure named.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace gatehouse::config {

struct FileContents {
  std::optional<std::string> text;  // the whole file; nullopt when it could not be read
  // Why not, to follow the file's name: "not found", "is a FIFO, not a regular file",
  // "cannot be opened: too many levels of symbolic links", "is larger than 1 MiB; ...".
  std::string problem;
  bool missing = false;  // nothing at all at the path (a dangling symlink is not "missing")
  std::filesystem::perms permissions = std::filesystem::perms::unknown;
};

// A FIFO without a writer or a device would hang start-up or stream forever, so anything but a
// regular file of at most `max_bytes` is refused before a single byte is read.
FileContents read_small_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace gatehouse::config
