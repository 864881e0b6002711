#include "stores/sqlite/sqlite_inline_readers.hpp"

#include <spdlog/spdlog.h>

namespace gatehouse::sqlite {

InlineReaders::InlineReaders(std::size_t max, ConnectionFactory open)
    : max_(max), open_(std::move(open)) {}

std::optional<InlineReaders::Lease> InlineReaders::try_acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(c));
    }
    if (opened_ >= max_ || open_failed_) return std::nullopt;
    ++opened_;  // reserved: opened outside the lock
  }
  try {
    return Lease(*this, open_());
  } catch (const std::exception& e) {
    spdlog::warn(
        "sqlite: cannot open an inline read connection ({}); reads use the reader "
        "threads",
        e.what());
    std::lock_guard lock(mutex_);
    --opened_;
    open_failed_ = true;
    return std::nullopt;
  }
}

void InlineReaders::release(std::unique_ptr<Connection> c) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(c));
}

}  // namespace gatehouse::sqlite
