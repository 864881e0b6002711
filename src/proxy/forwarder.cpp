#include "proxy/forwarder.hpp"

#include "http/responses.hpp"
#include "proxy/hop_headers.hpp"
#include "proxy/timeouts.hpp"
#include "proxy/upstream_pool.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <memory>
#include <span>
#include <vector>

namespace gatehouse::proxy {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using namespace asio::experimental::awaitable_operators;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kMaxResponseHead = 64 * 1024;
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::chrono::milliseconds kWatchClientAfter{50};
// Answers up to this size are read whole and sent to the browser in one write.
constexpr std::uint64_t kWholeAnswer = 64 * 1024;

// A chunk buffer left uninitialised: zeroing 64 KiB per request costs more than the request.
struct Chunk {
  std::unique_ptr<char[]> bytes{new char[kChunk]};
  char* data() { return bytes.get(); }
  std::size_t size() const { return kChunk; }
  operator std::span<char>() { return {bytes.get(), kChunk}; }
};

// What one attempt on one connection came to; `retry` means nothing was sent or received that
// would make a second attempt on a fresh connection unsafe.
struct Attempt {
  ForwardOutcome outcome = ForwardOutcome::broken;
  bool retry = false;
  bool reusable = false;
  bool nonce_retry = false;  // the upstream asked for a DPoP nonce: send again with a new proof
};

std::string describe(const ForwardRequest& r) {
  return "api[" + std::to_string(r.route->index) + "] " + r.route->config.path + " -> " +
         r.route->upstream.origin;
}

bool connection_lost(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

template <class Stream>
class Attempting {
 public:
  Attempting(Stream& stream, UpstreamConnection& connection, const ForwardRequest& request,
             http::Exchange& client)
      : stream_(stream), connection_(connection), request_(request), client_(client) {}

  asio::awaitable<Attempt> run() {
    const auto& framing = client_.body_framing();
    bhttp::request<bhttp::buffer_body> message;
    message.method_string(request_.method);
    message.target(request_.target);
    message.version(11);
    message.set(bhttp::field::host, request_.route->upstream.host_header);
    for (const auto& [name, value] : request_.headers) message.insert(name, value);
    if (framing.content_length)
      message.content_length(*framing.content_length);
    else if (framing.has_body)
      message.chunked(true);

    if (!framing.has_body) {
      message.body().data = nullptr;
      message.body().more = false;
      bhttp::request_serializer<bhttp::buffer_body> serializer(message);
      auto written =
          co_await within(request_.write_timeout, bhttp::async_write(stream_, serializer, kAwait));
      if (!written || std::get<0>(*written))
        co_return co_await unreachable("sending the request", !written, true);
    } else if (auto refused = co_await send_with_body(message)) {
      co_return *refused;
    }
    co_return co_await receive(!framing.has_body);
  }

 private:
  // Head, then the browser's body as it arrives. A set result ends the attempt.
  asio::awaitable<std::optional<Attempt>> send_with_body(
      bhttp::request<bhttp::buffer_body>& message) {
    bhttp::request_serializer<bhttp::buffer_body> serializer(message);
    auto head = co_await within(request_.write_timeout,
                                bhttp::async_write_header(stream_, serializer, kAwait));
    if (!head || std::get<0>(*head))
      co_return co_await unreachable("sending the request", !head, true);
    Chunk chunk;
    for (;;) {
      auto got = co_await client_.read_body(chunk);
      if (!got) {
        if (got.error() == boost::system::errc::message_size) {
          auto answer = problem_response(413, "request body too large");
          co_await client_.respond(std::move(answer));
          co_return Attempt{ForwardOutcome::request_refused};
        }
        co_return Attempt{ForwardOutcome::client_gone};
      }
      auto& body = message.body();
      body.data = *got ? chunk.data() : nullptr;
      body.size = *got;
      body.more = *got != 0;
      auto sent =
          co_await within(request_.write_timeout, bhttp::async_write(stream_, serializer, kAwait));
      const auto ec = sent ? std::get<0>(*sent) : boost::system::error_code{};
      if (!sent || (ec && ec != bhttp::error::need_buffer))
        co_return co_await unreachable("sending the request body", !sent, false);
      if (*got == 0) co_return std::nullopt;
    }
  }

  asio::awaitable<Attempt> receive(bool may_retry) {
    std::optional<bhttp::response_parser<bhttp::buffer_body>> fresh;
    for (;;) {  // interim answers (100 Continue, 103 Early Hints) are not passed on
      auto& parser = fresh.emplace();
      parser.header_limit(kMaxResponseHead);
      parser.body_limit(boost::none);
      if (request_.method == "HEAD") parser.skip(true);
      auto read = co_await within(request_.route->config.response_timeout,
                                  read_head_unless_client_leaves(parser));
      if (!read) {
        spdlog::warn("proxy {}: no response within {} ms", describe(request_),
                     request_.route->config.response_timeout.count());
        auto answer = problem_response(504, "the API did not answer in time");
        co_await client_.respond(std::move(answer));
        co_return Attempt{ForwardOutcome::upstream_timeout};
      }
      if (read->index() == 1) co_return Attempt{ForwardOutcome::client_gone};
      const auto ec = std::get<0>(std::get<0>(*read));
      if (ec) {
        if (may_retry && connection_.reused && connection_lost(ec))
          co_return Attempt{ForwardOutcome::upstream_unreachable, true};
        co_return co_await unreachable("reading the response", false, false);
      }
      const int status = static_cast<int>(parser.get().result_int());
      if (status == 101 || status >= 200) break;
    }
    co_return co_await relay_response(*fresh);
  }

  asio::awaitable<std::variant<std::tuple<boost::system::error_code, std::size_t>, bool>>
  read_head_unless_client_leaves(bhttp::response_parser<bhttp::buffer_body>& parser) {
    co_return co_await (bhttp::async_read_header(stream_, connection_.buffer, parser, kAwait) ||
                        client_left_meanwhile());
  }

  // Watching the browser's socket costs a poller registration; most answers come sooner than
  // it is worth, so the watch starts only once the upstream is taking a while.
  asio::awaitable<bool> client_left_meanwhile() {
    asio::steady_timer patience(co_await asio::this_coro::executor, kWatchClientAfter);
    auto [ec] = co_await patience.async_wait(kAwait);
    if (ec) co_return false;  // cancelled: the answer came
    co_return co_await client_.client_gone();
  }

  asio::awaitable<Attempt> relay_response(bhttp::response_parser<bhttp::buffer_body>& parser) {
    auto& head = parser.get();
    const int status = static_cast<int>(head.result_int());
    http::Fields upstream_headers;
    for (const auto& f : head) upstream_headers.emplace_back(f.name_string(), f.value());
    bool got_nonce = false;
    if (request_.on_dpop_nonce)
      if (auto nonce = head.find("DPoP-Nonce"); nonce != head.end()) {
        request_.on_dpop_nonce(std::string(nonce->value()));
        got_nonce = true;
      }
    if (status == 401 && got_nonce && request_.dpop_retry && !client_.body_framing().has_body &&
        head[bhttp::field::www_authenticate].find("use_dpop_nonce") != beast::string_view::npos)
      co_return Attempt{ForwardOutcome::upstream_unreachable, false, false, true};
    auto filtered = browser_response_headers(upstream_headers, status);
    if (filtered.dropped_cookies > 0)
      spdlog::info("proxy {}: dropped {} Set-Cookie header(s) from the upstream's answer",
                   describe(request_), filtered.dropped_cookies);
    if (status == 101) {
      if (!request_.websocket) co_return co_await unreachable("an unasked-for 101", false, false);
      if (!co_await client_.write_head(101, filtered.headers, std::nullopt))
        co_return Attempt{ForwardOutcome::client_gone};
      co_await tunnel();
      co_return Attempt{ForwardOutcome::completed};
    }
    std::optional<std::uint64_t> length;
    if (auto cl = parser.content_length()) length = *cl;
    if (length && *length <= kWholeAnswer && !parser.is_done())
      co_return co_await relay_whole(parser, status, std::move(filtered.headers), *length);
    if (!co_await client_.write_head(status, filtered.headers, length))
      co_return Attempt{ForwardOutcome::client_gone};
    Chunk chunk;
    while (!parser.is_done()) {
      auto& body = head.body();
      body.data = chunk.data();
      body.size = chunk.size();
      auto read = co_await within(request_.route->config.response_timeout,
                                  bhttp::async_read(stream_, connection_.buffer, parser, kAwait));
      auto ec = read ? std::get<0>(*read) : boost::system::error_code{};
      if (ec == bhttp::error::need_buffer) ec = {};
      if (!read || ec) {
        spdlog::warn("proxy {}: the answer broke off ({})", describe(request_),
                     read ? ec.message() : "timed out");
        co_return Attempt{ForwardOutcome::broken};
      }
      const std::size_t n = chunk.size() - body.size;
      const std::string_view piece(chunk.data(), n);
      if (n > 0 && !co_await client_.write_body(piece))
        co_return Attempt{ForwardOutcome::client_gone};
    }
    if (!co_await client_.finish()) co_return Attempt{ForwardOutcome::client_gone};
    co_return Attempt{ForwardOutcome::completed, false, head.keep_alive()};
  }

  // A small answer: read to its end, then one write to the browser (head and body together).
  asio::awaitable<Attempt> relay_whole(bhttp::response_parser<bhttp::buffer_body>& parser,
                                       int status, http::Fields headers, std::uint64_t length) {
    http::Response whole;
    whole.status = status;
    whole.headers = std::move(headers);
    whole.body.resize(static_cast<std::size_t>(length));
    auto& body = parser.get().body();
    body.data = whole.body.data();
    body.size = whole.body.size();
    while (!parser.is_done()) {
      auto read = co_await within(request_.route->config.response_timeout,
                                  bhttp::async_read(stream_, connection_.buffer, parser, kAwait));
      auto ec = read ? std::get<0>(*read) : boost::system::error_code{};
      if (ec == bhttp::error::need_buffer && body.size > 0) continue;
      if (!read || ec) co_return co_await unreachable("reading the response body", !read, false);
    }
    const bool keep_alive = parser.get().keep_alive();
    if (!co_await client_.respond(std::move(whole))) co_return Attempt{ForwardOutcome::client_gone};
    co_return Attempt{ForwardOutcome::completed, false, keep_alive};
  }

  // Bytes both ways until either side closes; then the other direction is cancelled.
  asio::awaitable<void> tunnel() { co_await (client_to_upstream() || upstream_to_client()); }

  asio::awaitable<void> client_to_upstream() {
    Chunk chunk;
    for (;;) {
      auto got = co_await client_.read_raw(chunk);
      if (!got || *got == 0) co_return;
      auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(chunk.data(), *got), kAwait);
      if (ec) co_return;
    }
  }

  asio::awaitable<void> upstream_to_client() {
    auto& pending = connection_.buffer;
    if (pending.size() > 0) {
      const auto data = pending.data();
      const std::string_view early(static_cast<const char*>(data.data()), data.size());
      if (!co_await client_.write_raw(early)) co_return;
      pending.consume(pending.size());
    }
    Chunk chunk;
    for (;;) {
      auto [ec, n] =
          co_await stream_.async_read_some(asio::buffer(chunk.data(), chunk.size()), kAwait);
      if (ec || n == 0) co_return;
      const std::string_view piece(chunk.data(), n);
      if (!co_await client_.write_raw(piece)) co_return;
    }
  }

  // Nothing usable came back: 502 when the browser has no answer yet.
  asio::awaitable<Attempt> unreachable(const char* step, bool timed_out, bool may_retry) {
    if (may_retry && connection_.reused)
      co_return Attempt{ForwardOutcome::upstream_unreachable, true};
    spdlog::warn("proxy {}: upstream failed while {}{}", describe(request_), step,
                 timed_out ? " (timed out)" : "");
    if (client_.head_written()) co_return Attempt{ForwardOutcome::broken};
    auto answer = problem_response(502, "the API is not reachable");
    co_await client_.respond(std::move(answer));
    co_return Attempt{ForwardOutcome::upstream_unreachable};
  }

  Stream& stream_;
  UpstreamConnection& connection_;
  const ForwardRequest& request_;
  http::Exchange& client_;
};

asio::awaitable<Attempt> attempt(UpstreamConnection& connection, const ForwardRequest& request,
                                 http::Exchange& client) {
  if (auto* plain = std::get_if<TcpSocket>(&connection.stream)) {
    Attempting<TcpSocket> a(*plain, connection, request, client);
    co_return co_await a.run();
  }
  Attempting<TlsSocket> a(std::get<TlsSocket>(connection.stream), connection, request, client);
  co_return co_await a.run();
}

}  // namespace

const char* to_string(ForwardOutcome outcome) {
  switch (outcome) {
    case ForwardOutcome::completed:
      return "completed";
    case ForwardOutcome::upstream_unreachable:
      return "upstream unreachable";
    case ForwardOutcome::upstream_timeout:
      return "upstream timeout";
    case ForwardOutcome::request_refused:
      return "request refused";
    case ForwardOutcome::client_gone:
      return "client gone";
    case ForwardOutcome::broken:
      return "broken";
  }
  return "?";
}

http::Response problem_response(int status, std::string detail) {
  boost::json::object body;
  body["type"] = "about:blank";
  body["title"] = std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(status)));
  body["status"] = status;
  body["detail"] = std::move(detail);
  auto r = http::json(status, boost::json::serialize(body));
  r.set_header("Content-Type", "application/problem+json");
  return http::no_store(std::move(r));
}

asio::awaitable<ForwardOutcome> forward(UpstreamPool& pool, ForwardRequest request,
                                        http::Exchange& client) {
  const auto executor = co_await asio::this_coro::executor;
  for (int round = 0;; ++round) {
    auto connection =
        co_await pool.acquire(executor, request.route->config.connect_timeout, round > 0);
    if (!connection) {
      spdlog::warn("proxy {}: cannot connect: {}", describe(request), connection.error().message());
      auto answer = problem_response(502, "the API is not reachable");
      co_await client.respond(std::move(answer));
      co_return ForwardOutcome::upstream_unreachable;
    }
    auto result = co_await attempt(**connection, request, client);
    if (result.nonce_retry && round == 0) {
      for (auto& [name, value] : request.headers)
        if (http::iequals(name, "DPoP")) value = request.dpop_retry();
      request.dpop_retry = nullptr;  // once
      continue;
    }
    if (result.retry && round == 0) {
      spdlog::debug("proxy {}: a kept-alive connection was closed; retrying on a new one",
                    describe(request));
      continue;
    }
    if (result.reusable) pool.release(std::move(*connection));
    co_return result.outcome;
  }
}

}  // namespace gatehouse::proxy
