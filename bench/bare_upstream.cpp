// A bare Beast coroutine HTTP server for benchmarks: one io thread, keep-alive, nothing else.
// It is the upstream the proxy benchmark calls (directly and through gatehouse) and the floor
// the request-path benchmarks compare with.
//
//   bare_upstream PORT [BODY_BYTES]
//     GET /big?bytes=N  N bytes (streamed in 64 KiB chunks, Content-Length)
//     anything else     a fixed JSON body of BODY_BYTES bytes (default 64)
// Prints "bare upstream listening on 127.0.0.1:PORT" when ready; stops on SIGINT/SIGTERM.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

std::uint64_t bytes_param(std::string_view target) {
  const auto at = target.find("bytes=");
  if (at == std::string_view::npos) return 0;
  std::uint64_t n = 0;
  const auto digits = target.substr(at + 6);
  std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return n;
}

asio::awaitable<bool> stream_big(tcp::socket& socket, unsigned version, bool keep_alive,
                                 std::uint64_t size) {
  bhttp::response<bhttp::buffer_body> res{bhttp::status::ok, version};
  res.set(bhttp::field::content_type, "application/octet-stream");
  res.content_length(size);
  res.keep_alive(keep_alive);
  bhttp::response_serializer<bhttp::buffer_body> sr(res);
  if (auto [ec, n] = co_await bhttp::async_write_header(socket, sr, kAwait); ec) co_return false;
  std::vector<char> chunk(64 * 1024, 'x');
  for (std::uint64_t left = size; left > 0;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
    res.body().data = chunk.data();
    res.body().size = n;
    res.body().more = true;
    auto [ec, written] = co_await bhttp::async_write(socket, sr, kAwait);
    if (ec && ec != bhttp::error::need_buffer) co_return false;
    left -= n;
  }
  res.body().data = nullptr;
  res.body().more = false;
  auto [ec, n] = co_await bhttp::async_write(socket, sr, kAwait);
  co_return !ec;
}

asio::awaitable<void> serve(tcp::socket socket, const std::string& body) {
  boost::beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    auto [ec, n] = co_await bhttp::async_read(socket, buffer, parser, kAwait);
    if (ec) co_return;
    const auto& req = parser.get();
    const bool keep_alive = req.keep_alive();
    if (req.target().starts_with("/big")) {
      if (!co_await stream_big(socket, req.version(), keep_alive, bytes_param(req.target())))
        co_return;
    } else {
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
      res.set(bhttp::field::content_type, "application/json");
      res.keep_alive(keep_alive);
      res.body() = body;
      res.prepare_payload();
      if (auto [wec, wn] = co_await bhttp::async_write(socket, res, kAwait); wec) co_return;
    }
    if (!keep_alive) co_return;
  }
}

asio::awaitable<void> accept(tcp::acceptor& acceptor, const std::string& body) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kAwait);
    if (ec) co_return;
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), body), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bare_upstream PORT [BODY_BYTES]\n");
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const auto body_bytes = argc > 2 ? static_cast<std::size_t>(std::atol(argv[2])) : 64;
  std::string body = "{\"ok\":\"";
  body.append(body_bytes > body.size() + 2 ? body_bytes - body.size() - 2 : 0, 'x');
  body += "\"}";
  asio::io_context io(1);
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) { io.stop(); });
  asio::co_spawn(io, accept(acceptor, body), asio::detached);
  std::printf("bare upstream listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  io.run();
}
