// One coroutine per connection: read a head (new parser per message), check framing, read the
// body, call the handler, write, repeat while keep-alive. Requests on a connection are handled
// strictly one after another, so pipelined requests are answered in order.
#include "http/detail/beast_parsing.hpp"
#include "http/detail/response_builder.hpp"
#include "http/detail/server_state.hpp"
#include "http/detail/stream_exchange.hpp"
#include "http/request_id.hpp"
#include "http/trusted_proxies.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <type_traits>

namespace gatehouse::http::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64 * 1024;
// After a refusal, what the client still sends is read and dropped for at most this long and this
// much (like nginx's lingering close): a browser uploading a body too large for the route gets to
// read the 413 instead of a connection reset. Bounded both ways, so a client cannot hold it open.
constexpr std::size_t kMaxLingerBytes = 16 * 1024 * 1024;
constexpr std::chrono::milliseconds kMaxLinger{1000};
using SteadyClock = std::chrono::steady_clock;

// Tells the server's observer (access log, metrics) how a request was answered.
void observe(const ServerOptions& options, const Request* request, int status,
             SteadyClock::time_point started) {
  if (options.observer)
    options.observer->completed(RequestRecord{
        .request = request, .status = status, .duration = SteadyClock::now() - started});
}

// Writes a rendered head and its body, bounded by the write timeout. On a plain connection what
// the kernel takes at once is written first, without waiting: a response that fits the socket's
// send buffer (nearly all of them) costs one send(), no timer armed and no suspension.
template <class Stream>
asio::awaitable<bool> write_head_and_body(Stream& stream, std::array<asio::const_buffer, 2> buffers,
                                          const ServerOptions& options) {
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    boost::system::error_code ec;
    std::size_t n = stream.socket().write_some(buffers, ec);  // the socket is non-blocking
    if (ec && ec != asio::error::would_block) co_return false;
    for (auto& b : buffers) {
      const std::size_t taken = std::min(n, b.size());
      b += taken;
      n -= taken;
    }
    if (buffers[0].size() == 0 && buffers[1].size() == 0) co_return true;
  }
  beast::get_lowest_layer(stream).expires_after(options.write_timeout);
  auto [ec, n] = co_await asio::async_write(stream, buffers, kAwait);
  co_return !ec;
}

// `head`: the connection's buffer for the rendered head (its capacity stays for the next one).
template <class Body, class Stream>
asio::awaitable<bool> write_in_two(Stream& stream, const bhttp::response<Body>& m,
                                   asio::const_buffer body, std::string& head,
                                   const ServerOptions& options) {
  render_head(m, head);
  co_return co_await write_head_and_body(stream, {asio::buffer(head), body}, options);
}

// Every response is bounded by the write timeout.
template <class Stream>
asio::awaitable<bool> write(Stream& stream, PreparedResponse& res, std::string& head,
                            const ServerOptions& options) {
  if (auto* s = std::get_if<0>(&res))
    co_return co_await write_in_two(stream, *s, asio::buffer(s->body()), head, options);
  if (auto* e = std::get_if<1>(&res))
    co_return co_await write_in_two(stream, *e, {}, head, options);
  if (auto* f = std::get_if<2>(&res)) {
    beast::get_lowest_layer(stream).expires_after(options.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, *f, kAwait);  // the file in chunks
    co_return !ec;
  }
  auto& shared = std::get<3>(res);
  const auto& body = shared.body();
  co_return co_await write_in_two(stream, shared, body ? asio::buffer(*body) : asio::const_buffer{},
                                  head, options);
}

asio::awaitable<Response> call_handler(const Handler& handler, Request& request) {
  std::string failure;
  try {
    co_return co_await handler(request);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  // A handler cut short by shutdown is expected, not a bug worth an error line.
  const auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
  if (cancelled != asio::cancellation_type::none)
    spdlog::info("http handler for {} {} cancelled by shutdown", request.method, request.path);
  else
    spdlog::error("http handler failed on {} {}: {}", request.method, request.path, failure);
  co_return text(500, "internal server error\n");
}

// Runs the streaming handler; a handler that throws before answering gets a 500, after
// answering the connection just closes.
template <class Stream>
asio::awaitable<ExchangeEnd> call_stream_handler(const StreamHandler& handler, Request& request,
                                                 StreamExchange<Stream>& exchange) {
  std::string failure;
  try {
    co_await handler(request, exchange);
    co_return exchange.end();
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
  if (state.cancelled() != asio::cancellation_type::none)
    spdlog::info("http stream handler for {} {} cancelled by shutdown", request.method,
                 request.path);
  else
    spdlog::error("http stream handler failed on {} {}: {}", request.method, request.path, failure);
  if (!exchange.head_written()) {
    auto answer = text(500, "internal server error\n");
    co_await exchange.respond(std::move(answer));
  }
  co_return ExchangeEnd{.reusable = false, .status = exchange.end().status};
}

// Answers a refused request and closes. Reading on a little first lets the client receive
// the answer: closing with unread input makes the kernel send a reset that can eat it.
// `request`: the refused request once its head was read (null before), for the observer.
template <class Stream>
asio::awaitable<void> refuse(Stream& stream, beast::flat_buffer& buffer,
                             const ServerOptions& options, RequestError error,
                             const Request* request = nullptr,
                             SteadyClock::time_point started = SteadyClock::now()) {
  const int status = error.status;
  auto res = prepare_error(error.status, std::move(error.reason));
  if (request) std::visit([request](auto& m) { m.set("X-Request-Id", request->request_id); }, res);
  std::string head;
  const bool written = co_await write(stream, res, head, options);
  observe(options, request, written ? status : 0, started);
  if (!written) co_return;
  boost::system::error_code ignored;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
  beast::get_lowest_layer(stream).expires_after(kMaxLinger);  // one deadline for the whole drain
  for (std::size_t drained = 0; drained < kMaxLingerBytes;) {
    buffer.clear();
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kAwait);
    if (ec) break;
    drained += n;
  }
}

// Reads until the parser has a checked head (true), or answers a refused head or gives up on a
// silent peer (false: close). Not Beast's async_read_header: feed_head must see the raw bytes.
// The read timeout is armed only when the head is not already in `buffer` (a keep-alive request
// usually arrives whole in the idle read): a timer set per request costs more than the parse.
template <class Stream>
asio::awaitable<bool> read_head(Stream& stream, beast::flat_buffer& buffer, RequestParser& parser,
                                const ServerOptions& options, const ParseLimits& limits) {
  bool armed = false;
  for (std::size_t consumed = 0;;) {
    const auto data = buffer.data();
    const auto step =
        feed_head(parser, {static_cast<const char*>(data.data()), data.size()}, consumed, limits);
    buffer.consume(step.consumed);
    consumed += step.consumed;
    if (step.error) {
      co_await refuse(stream, buffer, options, *step.error);
      co_return false;
    }
    if (step.done) co_return true;
    const std::size_t room = std::min(kReadChunk, buffer.max_size() - buffer.size());
    if (room == 0) {  // the header limit is below the buffer's size, so this is only a guard
      RequestError too_large{431, "request header too large"};
      co_await refuse(stream, buffer, options, std::move(too_large));
      co_return false;
    }
    if (!armed) {  // one deadline for the rest of the head, against slow senders
      beast::get_lowest_layer(stream).expires_after(options.read_timeout);
      armed = true;
    }
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(room), kAwait);
    if (ec) co_return false;  // closed, reset, timed out or shut down mid-head: nobody to answer
    buffer.commit(n);
  }
}

template <class Stream>
asio::awaitable<void> serve_requests(ServerStateBase& s, ConnectionSlot& slot, Stream& stream,
                                     const std::string& remote) {
  const auto& options = s.options;
  auto& tcp_layer = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer(options.max_header_bytes + kReadChunk);
  std::string head;  // every response's rendered head, one allocation for the connection
  // Heads are parsed against the larger limit; the one that applies is set once routed.
  const ParseLimits limits{
      options.max_header_bytes,
      std::max<std::size_t>(options.max_body_bytes, options.max_streamed_body_bytes)};
  for (bool first = true;; first = false) {
    slot.idle = true;
    if (s.stopping) co_return;
    if (!first && buffer.size() == 0) {  // keep-alive: wait (idle_timeout) for the next request
      tcp_layer.expires_after(options.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kAwait);
      if (ec) co_return;  // idle timeout, peer closed, or shutdown closed us
      buffer.commit(n);
    }

    RequestParser parser;
    configure(parser, limits);
    if (!co_await read_head(stream, buffer, parser, options, limits)) co_return;
    slot.idle = false;
    Request request = to_request_head(parser.get(), remote);
    request.request_id = request_id_for(request);
    if (options.trusted_proxies && !options.trusted_proxies->empty()) {
      auto client = options.trusted_proxies->client_address(remote, request.headers);
      if (client != remote) request.forwarded_client = std::move(client);
    }
    const auto started = SteadyClock::now();
    if (s.streaming && s.streaming->wants(request)) {
      tcp_layer.expires_never();  // the exchange bounds each of its reads and writes
      StreamExchange<Stream> exchange(stream, buffer, std::move(parser), options, request,
                                      !s.stopping);
      const auto end = co_await call_stream_handler(s.streaming->handle, request, exchange);
      observe(options, &request, end.status, started);
      if (!end.reusable || s.stopping) co_return;
      continue;
    }
    parser.body_limit(options.max_body_bytes);
    if (auto length = parser.content_length(); length && *length > options.max_body_bytes) {
      RequestError too_large{413, "request body too large"};
      co_await refuse(stream, buffer, options, std::move(too_large), &request, started);
      co_return;
    }
    if (!parser.is_done()) {
      if (parser.get().version() == 11 &&
          iequals(parser.get()[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
        if (!co_await write_in_two(stream, go_on, {}, head, options)) co_return;
      }
      tcp_layer.expires_after(options.read_timeout);
      auto [body_ec, body_n] = co_await bhttp::async_read(stream, buffer, parser, kAwait);
      if (body_ec) {
        if (auto error = error_for(body_ec))
          co_await refuse(stream, buffer, options, *error, &request, started);
        else
          observe(options, &request, 0, started);
        co_return;
      }
    }

    // The handler bounds its own work; no stream operation is pending while it runs.
    request.body = std::move(parser.get().body());
    Response response = co_await call_handler(s.handler, request);
    const int status = response.status < 100 || response.status > 599 ? 500 : response.status;
    const ResponseContext ctx{.version = request.version,
                              .head = request.method == "HEAD",
                              .keep_alive = request.keep_alive && !s.stopping,
                              .request_id = request.request_id};
    bool written = false;
    if (render_response_head(response, ctx, head)) {  // the common answer: no Beast message
      written = co_await write_head_and_body(
          stream, {asio::buffer(head), response_body(response, ctx)}, options);
    } else {
      auto prepared = prepare_response(std::move(response), ctx);
      written = co_await write(stream, prepared, head, options);
    }
    observe(options, &request, written ? status : 0, started);
    if (!written || !ctx.keep_alive) co_return;
  }
}

// Keeps slot.close_socket valid exactly while the stream lives.
struct CloseHook {
  CloseHook(ConnectionSlot& s, beast::tcp_stream& stream) : slot(s) {
    slot.close_socket = [&stream] { stream.close(); };
  }
  ~CloseHook() { slot.close_socket = nullptr; }
  ConnectionSlot& slot;
};

asio::awaitable<void> serve_plain(ServerStateBase& s, ConnectionSlot& slot, tcp::socket socket,
                                  const std::string& remote) {
  beast::tcp_stream stream(std::move(socket));
  CloseHook hook(slot, stream);
  // For write_head_and_body's first attempt; asynchronous operations are not affected.
  boost::system::error_code failed;
  stream.socket().non_blocking(true, failed);
  if (failed) co_return;
  co_await serve_requests(s, slot, stream, remote);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> serve_tls(ServerStateBase& s, ConnectionSlot& slot, tcp::socket socket,
                                const std::string& remote) {
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *s.tls);
  CloseHook hook(slot, beast::get_lowest_layer(stream));
  beast::get_lowest_layer(stream).expires_after(s.options.read_timeout);
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kAwait);
  if (ec) co_return;
  co_await serve_requests(s, slot, stream, remote);
  // close_notify; peers often never answer it, so wait only briefly.
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
  co_await stream.async_shutdown(kAwait);
}

}  // namespace

asio::awaitable<void> serve_connection(std::shared_ptr<ServerStateBase> state,
                                       std::shared_ptr<ConnectionSlot> slot, tcp::socket socket) {
  try {
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    const std::string remote = ec ? std::string() : peer.address().to_string();
    if (state->tls)
      co_await serve_tls(*state, *slot, std::move(socket), remote);
    else
      co_await serve_plain(*state, *slot, std::move(socket), remote);
  } catch (const std::exception& e) {
    // Only cancellation or a bug lands here; either way the connection is simply dropped.
    spdlog::debug("http connection ended: {}", e.what());
  }
}

}  // namespace gatehouse::http::detail
