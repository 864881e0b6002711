#include "stores/postgres/postgres_connection.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>

#include <fcntl.h>
#include <unistd.h>

namespace gatehouse::postgres {

using wait_type = boost::asio::posix::stream_descriptor::wait_type;

Connection::Connection(boost::asio::io_context& io) : socket_(io) {}

Connection::~Connection() {
  release_socket();
}

void Connection::release_socket() {
  boost::system::error_code ignored;
  if (socket_.is_open()) socket_.close(ignored);
}

void Connection::track_socket() {
  // Asio waits on a duplicate of libpq's descriptor, never on libpq's own: libpq closes its
  // socket by itself when the connection fails, and that number may be reused at once by a
  // connection opened on another thread; letting go of a number we no longer own would then
  // deregister (or wait on) somebody else's socket. The duplicate keeps its number ours until
  // we close it; readiness is the socket's, shared by both descriptors.
  release_socket();
  const int fd = conn_ ? PQsocket(conn_.get()) : -1;
  if (fd < 0) return;
  const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return;
  boost::system::error_code ec;
  socket_.assign(own, ec);
  if (ec) ::close(own);
}

boost::asio::awaitable<bool> Connection::wait(wait_type type) {
  if (aborted_ || !socket_.is_open()) co_return false;
  boost::system::error_code ec;
  co_await socket_.async_wait(type, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  co_return !ec && !aborted_;
}

bool Connection::tls_input_buffered() const {
  // OpenSSL may hold decrypted bytes that libpq has not taken yet (a TLS record larger than what
  // one PQconsumeInput reads): the socket would never wake us for them.
  auto* ssl = static_cast<SSL*>(PQsslStruct(conn_.get(), "OpenSSL"));
  return ssl && SSL_pending(ssl) > 0;
}

void Connection::abort() {
  aborted_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

bool Connection::adopt(ConnectionHandle handle, std::string& error) {
  conn_ = std::move(handle);
  PGconn* c = conn_.get();
  if (PQsetnonblocking(c, 1) != 0 || PQenterPipelineMode(c) != 1) {
    error = "cannot enter pipeline mode: " + one_line(PQerrorMessage(c));
    return false;
  }
  cancel_key_.reset(PQgetCancel(c), &PQfreeCancel);
  if (!cancel_key_) {
    error = "no cancel key";
    return false;
  }
  track_socket();
  return socket_.is_open();
}

boost::asio::awaitable<Connection::Outcome> Connection::execute(Statement id,
                                                                const StatementText& statement,
                                                                Params& params) {
  Outcome out;
  PGconn* c = conn_.get();
  const auto index = static_cast<std::size_t>(id);
  const bool prepare = !prepared_[index];
  const auto p = params.arrays();
  const char* name = statement.name.c_str();
  if (!healthy() ||
      (prepare &&
       !PQsendPrepare(c, name, statement.sql.c_str(), static_cast<int>(statement.types.size()),
                      statement.types.data())) ||
      !PQsendQueryPrepared(c, name, p.count, p.values, p.lengths, p.formats, 1) ||
      !PQpipelineSync(c)) {
    out.lost = true;
    co_return out;
  }
  for (int pending = PQflush(c); pending != 0; pending = PQflush(c)) {
    // The server reads a whole message before it answers, so waiting to write cannot deadlock.
    if (pending < 0 || !co_await wait(wait_type::wait_write)) {
      out.lost = true;
      co_return out;
    }
  }
  out.sent = true;

  // Results arrive per command, each ended by a null result: [Parse,] Execute, then the Sync,
  // which the server answers only after the implicit transaction committed or rolled back.
  const int query = prepare ? 1 : 0;
  Result error;
  for (int command = 0;;) {
    while (PQisBusy(c)) {
      if ((!tls_input_buffered() && !co_await wait(wait_type::wait_read)) || !PQconsumeInput(c)) {
        out.lost = true;
        out.result.reset();
        co_return out;
      }
    }
    Result r(PQgetResult(c));
    if (!r) {
      if (PQstatus(c) != CONNECTION_OK) {
        out.lost = true;
        out.result.reset();
        co_return out;
      }
      ++command;
      continue;
    }
    const auto status = PQresultStatus(r.get());
    if (status == PGRES_PIPELINE_SYNC) break;
    if (status == PGRES_FATAL_ERROR) {
      if (!error) error = std::move(r);  // a commit that fails also lands here
    } else if (status == PGRES_PIPELINE_ABORTED) {
      // skipped after an earlier error
    } else if (command == query) {
      out.result = std::move(r);
    } else if (status == PGRES_COMMAND_OK) {
      prepared_[index] = true;  // prepared statements outlive the transaction
    }
  }
  if (error) out.result = std::move(error);
  if (!out.result) out.lost = true;
  co_return out;
}

void Connection::watch(std::function<void()> on_closed) {
  const auto generation = ++watch_generation_;
  socket_.async_wait(wait_type::wait_read, [self = shared_from_this(), generation,
                                            on_closed = std::move(on_closed)](
                                               boost::system::error_code ec) mutable {
    if (generation != self->watch_generation_) return;  // handed out or stopped since
    PGconn* c = self->conn_.get();
    if (!ec && !self->aborted_ && PQconsumeInput(c) && PQstatus(c) == CONNECTION_OK) {
      // A notice or a parameter change: still alive.
      while (PGnotify* n = PQnotifies(c)) PQfreemem(n);
      self->watch(std::move(on_closed));
      return;
    }
    self->aborted_ = true;
    on_closed();
  });
}

void Connection::stop_watching() {
  ++watch_generation_;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

}  // namespace gatehouse::postgres
