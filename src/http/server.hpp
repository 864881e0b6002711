// The HTTP/1.1 server: one coroutine per connection, strict framing, bounded reads, keep-alive
// and pipelining (answered in order), optional TLS, graceful shutdown.
//
// Handlers run on the connection's strand (or its single-threaded io_context, see
// ServerOptions::connection_executors); one handler runs at a time per connection. A handler
// that throws yields a 500 with a generic body. Protocol errors are answered with a short
// plain-text reason and `Connection: close`.
#pragma once

#include "http/exchange.hpp"
#include "http/message.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse::http {

class TrustedProxies;

struct TlsFiles {
  std::filesystem::path certificate_chain;  // PEM, leaf first
  std::filesystem::path private_key;        // PEM
};

// Told about every request once it has been answered (or refused), on the connection's strand:
// access logs and metrics. Must be cheap and must not throw.
struct RequestRecord {
  const Request* request = nullptr;  // null when the request head itself was refused
  int status = 0;                    // as answered; 0 when the connection failed first
  std::chrono::steady_clock::duration duration{};  // from the complete head to the answer
};

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void completed(const RequestRecord& record) noexcept = 0;
};

struct ServerOptions {
  std::vector<std::string> listen{"127.0.0.1:8080"};  // see listen_address.hpp
  std::size_t max_header_bytes = 16 * 1024;           // larger heads get 431
  std::size_t max_body_bytes = 1024 * 1024;           // larger bodies get 413
  // Bodies a streaming route may take (it sets its own limit with Exchange::limit_body, up to
  // this); 0: max_body_bytes. Bodies the server reads itself never exceed max_body_bytes.
  std::uint64_t max_streamed_body_bytes = 0;
  std::chrono::milliseconds read_timeout{15'000};   // TLS handshake, a request head, a body
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{30'000};  // writing one response
  std::size_t max_connections = 20'000;             // further connections are closed at once
  std::optional<TlsFiles> tls;                      // serve HTTPS when set
  std::shared_ptr<RequestObserver> observer;        // none: nothing is told
  // Peers whose X-Forwarded-For names the client (Request::forwarded_client); none: the peer
  // is always the client.
  std::shared_ptr<const TrustedProxies> trusted_proxies;
  // Where accepted connections run, taken in turn. Each must be the executor of an io_context
  // that exactly one thread runs: a connection then needs no strand, and its handler, its
  // timers and its socket stay on that thread (no lock, no hop). Empty: every connection runs
  // on a strand of its own on the server's executor. Lifetime: the server's shared state lives
  // on the server's executor and connections release it on their own threads, so every one of
  // these contexts must have stopped and its thread joined before the server's io_context is
  // destroyed (stop them, join their threads, then let the server's context go).
  std::vector<boost::asio::any_io_executor> connection_executors;
};

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

class Server {
 public:
  // Throws std::invalid_argument naming the setting when the options are unusable (bad listen
  // address, unreadable TLS files, zero limits).
  Server(boost::asio::any_io_executor executor, ServerOptions options, Handler handler);
  // With `streaming`: requests it wants reach its handler with their body unread (a reverse
  // proxy); the rest go to `handler`.
  Server(boost::asio::any_io_executor executor, ServerOptions options, Handler handler,
         StreamingRoute streaming);
  // Closes the listeners and cancels every connection at once (no grace). Call it after
  // shutdown() or once the io_context has stopped: it touches the listeners directly.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listen address; throws std::runtime_error naming the address on failure.
  void listen();
  // Starts accepting (calls listen() first if needed).
  void start();

  // The bound port of the first listen address (useful with port 0); 0 before listen().
  std::uint16_t port() const;
  std::size_t connection_count() const;

  // Stops accepting, lets requests in progress finish and be answered (with Connection: close),
  // closes idle keep-alive connections at once, and after `grace` cancels whatever is left.
  // Completes when every connection is gone.
  boost::asio::awaitable<void> shutdown(std::chrono::milliseconds grace);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace gatehouse::http
