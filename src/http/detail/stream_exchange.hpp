// Internal (Beast inside): the server's Exchange over one connection's stream, for a request whose
// head has been read and checked and whose body has not.
#pragma once

#include "http/detail/beast_parsing.hpp"
#include "http/detail/response_builder.hpp"
#include "http/exchange.hpp"
#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace gatehouse::http::detail {

// What the connection loop needs to know once the stream handler has returned.
struct ExchangeEnd {
  bool reusable = false;  // the request was read whole and the response ended cleanly
  int status = 0;         // what was answered; 0: nothing
};

template <class Stream>
class StreamExchange final : public Exchange {
 public:
  using BodyParser = bhttp::request_parser<bhttp::buffer_body>;

  StreamExchange(Stream& stream, boost::beast::flat_buffer& buffer, RequestParser&& head,
                 const ServerOptions& options, const Request& request, bool keep_alive)
      : stream_(stream),
        buffer_(buffer),
        parser_(std::move(head)),
        options_(options),
        version_(request.version),
        head_request_(request.method == "HEAD"),
        keep_alive_(keep_alive && request.keep_alive),
        request_id_(request.request_id) {
    limit_ =
        options.max_streamed_body_bytes ? options.max_streamed_body_bytes : options.max_body_bytes;
    parser_.body_limit(limit_);
    const auto& h = parser_.get();
    framing_.content_length = h.has_content_length()
                                  ? std::optional<std::uint64_t>(*parser_.content_length())
                                  : std::nullopt;
    framing_.has_body = h.chunked() || framing_.content_length.value_or(0) > 0;
    expect_continue_ =
        framing_.has_body && h.version() == 11 && iequals(h[bhttp::field::expect], "100-continue");
  }

  const BodyFraming& body_framing() const override { return framing_; }

  void limit_body(std::uint64_t max_bytes) override {
    limit_ = std::min(limit_, max_bytes);
    parser_.body_limit(limit_);
  }

  boost::asio::awaitable<boost::system::result<std::size_t>> read_body(
      std::span<char> out) override {
    if (!framing_.has_body || parser_.is_done()) co_return std::size_t{0};
    if (out.empty()) co_return std::size_t{0};
    if (framing_.content_length && *framing_.content_length > limit_)
      co_return fail(make_error_code(boost::system::errc::message_size));
    if (expect_continue_) {
      expect_continue_ = false;
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
      lowest().expires_after(options_.write_timeout);
      auto [ec, n] = co_await bhttp::async_write(stream_, go_on, kAwait);
      if (ec) co_return fail(ec);
    }
    auto& body = parser_.get().body();
    body.data = out.data();
    body.size = out.size();
    lowest().expires_after(options_.read_timeout);
    auto [ec, n] = co_await bhttp::async_read(stream_, buffer_, parser_, kAwait);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec == bhttp::error::body_limit)
      co_return fail(make_error_code(boost::system::errc::message_size));
    if (ec) co_return fail(ec);
    co_return out.size() - body.size;
  }

  boost::asio::awaitable<bool> respond(Response response) override {
    if (head_written_) co_return false;
    head_written_ = finished_ = true;
    status_ = response.status;
    auto prepared = prepare_response(std::move(response), context());
    lowest().expires_after(options_.write_timeout);
    if (auto* m = std::get_if<0>(&prepared)) co_return co_await write_whole(*m);
    if (auto* m = std::get_if<1>(&prepared)) co_return co_await write_whole(*m);
    if (auto* m = std::get_if<2>(&prepared)) co_return co_await write_whole(*m);
    co_return co_await write_whole(std::get<3>(prepared));
  }

  boost::asio::awaitable<bool> write_head(int status, const Fields& headers,
                                          std::optional<std::uint64_t> content_length) override {
    if (head_written_) co_return false;
    head_written_ = true;
    status_ = status;
    upgraded_ = status == 101;
    const bool no_body = head_request_ || status < 200 || status == 204 || status == 304;
    // Without a length an HTTP/1.0 body ends with the connection.
    if (!content_length && !no_body && version_ == 10) keep_alive_ = false;
    lowest().expires_after(options_.write_timeout);
    if (no_body) {
      auto m = prepare_stream_head<bhttp::empty_body>(status, headers, context());
      if (content_length && status >= 200 && status != 204) m.content_length(*content_length);
      finished_ = !upgraded_;
      auto [ec, n] = co_await bhttp::async_write(stream_, m, kAwait);
      co_return !ec && (upgraded_ || track_close(m.keep_alive()));
    }
    response_.emplace(prepare_stream_head<bhttp::buffer_body>(status, headers, context()));
    if (content_length)
      response_->content_length(*content_length);
    else if (version_ == 11)
      response_->chunked(true);
    remaining_ = content_length;
    serializer_.emplace(*response_);
    auto [ec, n] = co_await bhttp::async_write_header(stream_, *serializer_, kAwait);
    co_return !ec;
  }

  boost::asio::awaitable<bool> write_body(std::string_view chunk) override {
    if (!serializer_ || finished_) co_return false;
    if (chunk.empty()) co_return true;
    if (remaining_) {
      if (chunk.size() > *remaining_) co_return false;  // longer than announced: never send it
      *remaining_ -= chunk.size();
    }
    auto& body = response_->body();
    body.data = const_cast<char*>(chunk.data());
    body.size = chunk.size();
    body.more = true;
    lowest().expires_after(options_.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, *serializer_, kAwait);
    co_return !ec || ec == bhttp::error::need_buffer;
  }

  boost::asio::awaitable<bool> finish() override {
    if (!head_written_) co_return false;
    if (finished_) co_return true;
    finished_ = true;
    if (!serializer_) co_return false;
    if (remaining_ && *remaining_ != 0) co_return false;  // cut short: the client must notice
    auto& body = response_->body();
    body.data = nullptr;
    body.size = 0;
    body.more = false;
    lowest().expires_after(options_.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, *serializer_, kAwait);
    co_return !ec && track_close(response_->keep_alive());
  }

  bool head_written() const override { return head_written_; }

  boost::asio::awaitable<boost::system::result<std::size_t>> read_raw(
      std::span<char> out) override {
    if (!upgraded_) co_return fail(make_error_code(boost::system::errc::operation_not_permitted));
    // Bytes the client sent right after its handshake may already sit in the buffer.
    if (buffer_.size() > 0) {
      const auto n =
          boost::asio::buffer_copy(boost::asio::buffer(out.data(), out.size()), buffer_.data());
      buffer_.consume(n);
      co_return n;
    }
    lowest().expires_never();  // a tunnel may be idle for long; the peer's close ends it
    auto [ec, n] =
        co_await stream_.async_read_some(boost::asio::buffer(out.data(), out.size()), kAwait);
    if (ec == boost::asio::error::eof) co_return std::size_t{0};
    if (ec) co_return fail(ec);
    co_return n;
  }

  boost::asio::awaitable<bool> write_raw(std::string_view bytes) override {
    if (!upgraded_) co_return false;
    lowest().expires_after(options_.write_timeout);
    auto [ec, n] = co_await boost::asio::async_write(
        stream_, boost::asio::buffer(bytes.data(), bytes.size()), kAwait);
    lowest().expires_never();
    co_return !ec;
  }

  boost::asio::awaitable<bool> client_gone() override {
    if (buffer_.size() == 0) {
      auto& socket = lowest().socket();
      auto [ec] = co_await socket.async_wait(boost::asio::socket_base::wait_read, kAwait);
      if (ec == boost::asio::error::operation_aborted) co_return false;  // cancelled: not gone
      if (ec) co_return true;
      char byte = 0;
      const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) co_return true;
    }
    // It sent more (a pipelined request, TLS records): it is there. Wait until cancelled.
    boost::asio::steady_timer forever(stream_.get_executor(),
                                      boost::asio::steady_timer::time_point::max());
    co_await forever.async_wait(kAwait);
    co_return false;
  }

  ExchangeEnd end() const {
    // Reusable only when the whole request was read and the answer framed and finished.
    const bool request_read = !framing_.has_body || parser_.is_done();
    return {.reusable = keep_alive_ && !failed_ && !upgraded_ && finished_ && request_read,
            .status = status_};
  }

 private:
  static constexpr auto kAwait = boost::asio::as_tuple(boost::asio::use_awaitable);

  auto& lowest() { return boost::beast::get_lowest_layer(stream_); }

  template <class Message>
  boost::asio::awaitable<bool> write_whole(Message& m) {
    auto [ec, n] = co_await bhttp::async_write(stream_, m, kAwait);
    co_return !ec && track_close(m.keep_alive());
  }

  ResponseContext context() const {
    return {.version = version_,
            .head = head_request_,
            .keep_alive = keep_alive_,
            .request_id = request_id_};
  }

  boost::system::error_code fail(boost::system::error_code ec) {
    failed_ = true;
    return ec;
  }

  bool track_close(bool keep_alive) {
    keep_alive_ = keep_alive_ && keep_alive;
    return true;
  }

  Stream& stream_;
  boost::beast::flat_buffer& buffer_;
  BodyParser parser_;
  const ServerOptions& options_;
  unsigned version_;
  bool head_request_;
  bool keep_alive_;
  std::string request_id_;
  int status_ = 0;
  BodyFraming framing_;
  std::uint64_t limit_ = 0;
  bool expect_continue_ = false;
  bool head_written_ = false;
  bool finished_ = false;
  bool upgraded_ = false;
  bool failed_ = false;
  std::optional<std::uint64_t> remaining_;
  std::optional<bhttp::response<bhttp::buffer_body>> response_;
  std::optional<bhttp::response_serializer<bhttp::buffer_body>> serializer_;
};

}  // namespace gatehouse::http::detail
