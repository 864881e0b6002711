// Test support for the HTTP area: a Server running on its own io_context thread, and a
// blocking raw TCP connection to send exact bytes and read exact answers.
#pragma once

#include "http/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

namespace gatehouse::testing {

inline http::ServerOptions local_options() {
  http::ServerOptions o;
  o.listen = {"127.0.0.1:0"};
  return o;
}

class ServerThread {
 public:
  ServerThread(http::ServerOptions options, http::Handler handler)
      : server_(io_.get_executor(), std::move(options), std::move(handler)) {
    server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ServerThread() { stop(std::chrono::milliseconds(1000)); }

  // Graceful shutdown; returns once the server's io_context has run out of work.
  void stop(std::chrono::milliseconds grace) {
    if (!thread_.joinable()) return;
    auto done = boost::asio::co_spawn(io_, server_.shutdown(grace), boost::asio::use_future);
    done.get();
    thread_.join();
  }

  std::uint16_t port() const { return server_.port(); }
  http::Server& server() { return server_; }
  boost::asio::io_context& io() { return io_; }
  std::thread& thread() { return thread_; }

 private:
  boost::asio::io_context io_;
  http::Server server_;
  std::thread thread_;
};

// A blocking client socket whose reads give up after `timeout` (so a test never hangs).
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : socket_(io_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void send(std::string_view bytes) {
    boost::asio::write(socket_, boost::asio::buffer(bytes.data(), bytes.size()));
  }

  // One response framed by Content-Length (or none with `head_only`); nullopt on close/timeout.
  std::optional<std::string> read_response(bool head_only = false) {
    for (;;) {
      const auto end = pending_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        const auto head = pending_.substr(0, end);
        const auto cl = lower(head).find("\r\ncontent-length:");
        if (cl != std::string::npos && !head_only) length = std::stoul(head.substr(cl + 17));
        if (pending_.size() >= end + 4 + length) {
          auto response = pending_.substr(0, end + 4 + length);
          pending_.erase(0, end + 4 + length);
          return response;
        }
      }
      if (!fill()) return std::nullopt;
    }
  }

  // Everything until the server closes; closed=false if it stayed open past the timeout.
  struct Drain {
    std::string bytes;
    bool closed = false;
  };
  Drain read_until_close() {
    Drain d;
    while (fill()) {
    }
    d.closed = eof_;
    d.bytes = std::move(pending_);
    pending_.clear();
    return d;
  }

  boost::asio::ip::tcp::socket& socket() { return socket_; }

 private:
  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  // Plain recv(): Asio's blocking reads poll past SO_RCVTIMEO, which would defeat the timeout.
  bool fill() {
    char buf[8192];
    const auto n = ::recv(socket_.native_handle(), buf, sizeof buf, 0);
    if (n <= 0) {
      // EOF or a reset both mean the server closed; a timeout (EAGAIN) means it did not.
      eof_ = n == 0 || errno == ECONNRESET;
      return false;
    }
    pending_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string pending_;
  bool eof_ = false;
};

inline int status_of(std::string_view response) {
  if (response.size() < 12 || !response.starts_with("HTTP/1.")) return 0;
  return std::stoi(std::string(response.substr(9, 3)));
}

inline std::string body_of(std::string_view response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string_view::npos ? "" : std::string(response.substr(end + 4));
}

inline bool has_header(std::string_view response, std::string_view line) {
  const auto head = response.substr(0, response.find("\r\n\r\n"));
  return head.find(std::string("\r\n") + std::string(line) + "\r\n") != std::string_view::npos ||
         head.ends_with(std::string("\r\n") + std::string(line));
}

}  // namespace gatehouse::testing
