// Internal: read connections a calling thread uses itself, for point reads without a thread hop.
//
// Handing a get to a reader thread and back costs two wake-ups and context switches, several
// times the read itself when the row is in the page cache (the common case for a session
// checked on every request). A thread that finds an idle connection here runs its batch of reads
// at once (sqlite_read_batches.hpp); when all are taken (more threads than connections) or a read
// would have to wait for a lock (SQLITE_BUSY: these connections never wait), the reads fall back
// to the reader threads.
#pragma once

#include "stores/sqlite/sqlite_connection.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace gatehouse::sqlite {

class InlineReaders {
 public:
  using ConnectionFactory = std::function<std::unique_ptr<Connection>()>;

  // At most `max` connections, opened on first need; 0 disables inline reads.
  InlineReaders(std::size_t max, ConnectionFactory open);

  // A connection for the calling thread alone until it is released (destroyed).
  class Lease {
   public:
    Lease(InlineReaders& owner, std::unique_ptr<Connection> c)
        : owner_(&owner), connection_(std::move(c)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (connection_) owner_->release(std::move(connection_));
    }
    Connection& operator*() const { return *connection_; }

   private:
    InlineReaders* owner_;
    std::unique_ptr<Connection> connection_;
  };

  // An idle connection, a newly opened one while fewer than `max` exist, or nothing.
  std::optional<Lease> try_acquire();

 private:
  void release(std::unique_ptr<Connection> c);

  std::size_t max_;
  ConnectionFactory open_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t opened_ = 0;
  bool open_failed_ = false;  // opening failed once: do not retry on every request
};

}  // namespace gatehouse::sqlite
