#include "http/client.hpp"
#include "url/strict_url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include <charconv>

namespace gatehouse::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kMaxResponseHead = 64 * 1024;

// The URL's host, port and origin-form target (path and query; "/" when the path is empty).
struct Target : url::HttpTarget {
  std::string path_and_query;
};

std::optional<Target> parse_target(std::string_view text) {
  auto parsed = url::parse_http_target(text);
  if (!parsed) return std::nullopt;
  Target t{std::move(*parsed), {}};
  t.path_and_query = t.path.empty() ? "/" : t.path;
  if (t.query) t.path_and_query += "?" + *t.query;
  return t;
}

boost::system::error_code fail(ClientErrc e) {
  return make_error_code(e);
}

bool client_owned(std::string_view name) {
  return iequals(name, "host") || iequals(name, "content-length") ||
         iequals(name, "transfer-encoding") || iequals(name, "connection");
}

template <class Stream>
asio::awaitable<ClientResult> send_and_receive(Stream& stream, const ClientRequest& request,
                                               const Target& target) {
  bhttp::request<bhttp::string_body> message;
  message.method_string(request.method);
  message.target(target.path_and_query);
  message.version(11);
  message.set(bhttp::field::host, target.host_header);
  message.set(bhttp::field::user_agent, "gatehouse");
  for (const auto& [name, value] : request.headers)
    if (!client_owned(name)) message.insert(name, value);
  message.keep_alive(false);  // one request per connection (connection reuse: future work)
  message.body() = request.body;
  message.prepare_payload();

  auto [write_ec, written] = co_await bhttp::async_write(stream, message, kAwait);
  if (write_ec) co_return fail(ClientErrc::io_error);

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxResponseHead);
  parser.body_limit(request.max_body);
  if (request.method == "HEAD") parser.skip(true);
  auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, parser, kAwait);
  if (read_ec == bhttp::error::body_limit || read_ec == bhttp::error::header_limit)
    co_return fail(ClientErrc::too_large);
  if (read_ec && read_ec.category() == bhttp::make_error_code(bhttp::error::bad_field).category() &&
      read_ec != bhttp::error::end_of_stream && read_ec != bhttp::error::partial_message)
    co_return fail(ClientErrc::bad_response);
  if (read_ec) co_return fail(ClientErrc::io_error);

  auto response = parser.release();
  ClientResponse out;
  out.status = static_cast<int>(response.result_int());
  for (const auto& f : response) out.headers.emplace_back(f.name_string(), f.value());
  out.body = std::move(response.body());
  co_return out;
}

asio::awaitable<ClientResult> exchange(asio::any_io_executor executor, const ClientRequest& request,
                                       const Target& target) {
  tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(target.host, target.port, kAwait);
  if (resolve_ec) co_return fail(ClientErrc::resolve_failed);

  beast::tcp_stream tcp_stream(executor);
  auto [connect_ec, endpoint] = co_await tcp_stream.async_connect(endpoints, kAwait);
  if (connect_ec) co_return fail(ClientErrc::connect_failed);
  if (!target.tls) co_return co_await send_and_receive(tcp_stream, request, target);

  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (request.ca_file)
    ctx.load_verify_file(*request.ca_file, ec);
  else
    ctx.set_default_verify_paths(ec);
  if (ec) co_return fail(ClientErrc::tls_failed);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  ctx.set_verify_callback(asio::ssl::host_name_verification(target.host));

  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), ctx);
  // SNI is for names only (RFC 6066); IP literals are checked against the certificate's SANs.
  if (target.host_is_name && !SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str()))
    co_return fail(ClientErrc::tls_failed);
  auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kAwait);
  if (handshake_ec) co_return fail(ClientErrc::tls_failed);
  co_return co_await send_and_receive(stream, request, target);
  // No close_notify: the response is complete (framed), and waiting for the peer's reply to it
  // would only add latency.
}

}  // namespace

asio::awaitable<ClientResult> fetch(asio::any_io_executor executor, ClientRequest request) {
  using namespace asio::experimental::awaitable_operators;
  const auto target = parse_target(request.url);
  if (!target) co_return fail(ClientErrc::bad_url);

  // Racing the exchange against a timer cancels the loser, whatever step the exchange is in.
  asio::steady_timer timer(executor);
  timer.expires_after(request.timeout);
  auto work = exchange(executor, request, *target);
  auto deadline = timer.async_wait(asio::use_awaitable);
  auto outcome = co_await (std::move(work) || std::move(deadline));
  if (outcome.index() == 1) co_return fail(ClientErrc::timeout);
  co_return std::get<0>(std::move(outcome));
}

}  // namespace gatehouse::http
