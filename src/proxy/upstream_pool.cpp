#include "proxy/upstream_pool.hpp"

#include "proxy/timeouts.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>

namespace gatehouse::proxy {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// An idle keep-alive connection the upstream closed (or wrote to: it must not have) is useless.
bool looks_open(TcpSocket& socket) {
  char byte = 0;
  const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

asio::awaitable<boost::system::result<std::unique_ptr<UpstreamConnection>>> connect(
    asio::any_io_executor executor, const UpstreamTarget& target,
    std::optional<asio::ssl::context>& tls) {
  tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(target.host, target.port, kAwait);
  if (resolve_ec) co_return resolve_ec;
  tcp::socket socket(executor);
  auto [connect_ec, endpoint] = co_await asio::async_connect(socket, endpoints, kAwait);
  if (connect_ec) co_return connect_ec;
  socket.set_option(tcp::no_delay(true));
  if (!tls)
    co_return std::make_unique<UpstreamConnection>(UpstreamConnection{std::move(socket), {}});
  TlsSocket stream(std::move(socket), *tls);
  // SNI is for names only (RFC 6066); IP literals are checked against the certificate's SANs.
  if (target.host_is_name && !SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str()))
    co_return make_error_code(asio::error::invalid_argument);
  stream.set_verify_callback(asio::ssl::host_name_verification(target.host));
  auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kAwait);
  if (handshake_ec) co_return handshake_ec;
  co_return std::make_unique<UpstreamConnection>(UpstreamConnection{std::move(stream), {}});
}

}  // namespace

TcpSocket& UpstreamConnection::socket() {
  if (auto* plain = std::get_if<TcpSocket>(&stream)) return *plain;
  return std::get<TlsSocket>(stream).next_layer();
}

UpstreamPool::UpstreamPool(UpstreamTarget target, PoolOptions options)
    : target_(std::move(target)), options_(std::move(options)) {
  if (!target_.tls) return;
  tls_.emplace(asio::ssl::context::tls_client);
  tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (options_.ca_file)
    tls_->load_verify_file(*options_.ca_file, ec);
  else
    tls_->set_default_verify_paths(ec);
  if (ec)
    throw std::runtime_error("upstream " + target_.origin + ": TLS trust store: " + ec.message());
  tls_->set_verify_mode(asio::ssl::verify_peer);
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take_idle() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (now - c->idle_since < options_.max_idle_time && looks_open(c->socket())) {
      c->reused = true;
      return c;
    }
  }
  return nullptr;
}

asio::awaitable<boost::system::result<std::unique_ptr<UpstreamConnection>>> UpstreamPool::acquire(
    asio::any_io_executor executor, std::chrono::milliseconds connect_timeout, bool fresh) {
  if (!fresh)
    if (auto idle = take_idle()) co_return idle;
  auto made = co_await within(connect_timeout, connect(executor, target_, tls_));
  if (!made) co_return make_error_code(asio::error::timed_out);
  co_return std::move(*made);
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection) {
  if (!connection || connection->buffer.size() != 0) return;
  connection->idle_since = std::chrono::steady_clock::now();
  connection->reused = false;
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(connection));
  while (idle_.size() > options_.max_idle) idle_.pop_front();  // the oldest go first
}

std::size_t UpstreamPool::idle_count() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

}  // namespace gatehouse::proxy
