// A request handed over before its body is read, and the means to answer it as a stream: what
// a reverse proxy needs to move a 1 GB upload or download without holding it. Beast stays out
// of this header; the server implements it over its connection.
//
// Use, on the connection's strand, one call at a time:
//   read_body() until it returns 0 (or not at all: the connection then closes after the answer);
//   then either respond() once, or write_head() once, write_body() any number of times and
//   finish(); after a 101 write_head(), read_raw()/write_raw() tunnel bytes (a websocket).
// Every call is bounded by the server's read/write timeouts. A call that fails leaves the
// connection to be closed: callers stop and return.
#pragma once

#include "http/message.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

namespace gatehouse::http {

// How the request body is framed, as the client sent it (after the server's framing checks).
struct BodyFraming {
  bool has_body = false;                        // Content-Length > 0 or chunked
  std::optional<std::uint64_t> content_length;  // none with a chunked body
};

class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual const BodyFraming& body_framing() const = 0;
  // The largest body read_body may deliver (before the first read_body; the server's own
  // limit for streamed bodies still applies above it).
  virtual void limit_body(std::uint64_t max_bytes) = 0;
  // The next bytes of the request body into `buffer`; 0 once the body is complete. Errors:
  // message_size (more than the server's max_body: answer 413), timed_out, or the connection's.
  virtual boost::asio::awaitable<boost::system::result<std::size_t>> read_body(
      std::span<char> buffer) = 0;

  // A whole response (only before write_head). False: the connection failed.
  virtual boost::asio::awaitable<bool> respond(Response response) = 0;

  // The response head. With `content_length` the body written must be exactly that long;
  // without, it is chunked (HTTP/1.1) or ends with the connection (HTTP/1.0). `headers` must
  // not hold framing headers (Content-Length, Transfer-Encoding, Connection): they are dropped.
  // A 101 keeps its Connection/Upgrade headers, and the connection then belongs to the tunnel.
  virtual boost::asio::awaitable<bool> write_head(int status, const Fields& headers,
                                                  std::optional<std::uint64_t> content_length) = 0;
  virtual boost::asio::awaitable<bool> write_body(std::string_view chunk) = 0;
  virtual boost::asio::awaitable<bool> finish() = 0;
  virtual bool head_written() const = 0;

  // After a 101: bytes from and to the client, as they are. read_raw returns 0 at the end.
  virtual boost::asio::awaitable<boost::system::result<std::size_t>> read_raw(
      std::span<char> buffer) = 0;
  virtual boost::asio::awaitable<bool> write_raw(std::string_view bytes) = 0;

  // Completes (true) when the client has closed its side or the connection failed: race it
  // against a slow upstream to abandon the upstream request. While the client is connected it
  // does not complete (even if it sends more, such as a pipelined request); cancel it, and it
  // completes with false.
  virtual boost::asio::awaitable<bool> client_gone() = 0;
};

using StreamHandler = std::function<boost::asio::awaitable<void>(Request& head, Exchange&)>;

// Requests for which `wants(head)` is true reach `handle` with their body unread; every other
// request goes to the server's plain handler, body read.
struct StreamingRoute {
  std::function<bool(const Request& head)> wants;
  StreamHandler handle;
};

}  // namespace gatehouse::http
