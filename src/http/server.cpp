#include "http/detail/server_state.hpp"
#include "http/listen_address.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>

namespace gatehouse::http {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

using State = Server::State;

// Drops a finished connection; wakes shutdown() when it was the last one.
void unregister(const std::shared_ptr<State>& s, std::uint64_t id) {
  std::lock_guard lock(s->mutex);
  s->connections.erase(id);
  if (s->connections.empty() && s->stopping) asio::post(s->strand, [s] { s->drained.cancel(); });
}
using SlotList = std::vector<std::shared_ptr<detail::ConnectionSlot>>;

SlotList snapshot(State& s) {
  std::lock_guard lock(s.mutex);
  SlotList out;
  for (auto& [id, slot] : s.connections) out.push_back(slot);
  return out;
}

asio::ssl::context make_tls_context(const TlsFiles& files) {
  asio::ssl::context ctx(asio::ssl::context::tls_server);
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(files.certificate_chain.string(), ec);
  if (ec)
    throw std::invalid_argument("tls.certificate_chain: cannot load '" +
                                files.certificate_chain.string() + "': " + ec.message());
  ctx.use_private_key_file(files.private_key.string(), asio::ssl::context::pem, ec);
  if (ec)
    throw std::invalid_argument("tls.private_key: cannot load '" + files.private_key.string() +
                                "': " + ec.message());
  return ctx;
}

tcp::endpoint resolve_one(asio::any_io_executor ex, const ListenAddress& a,
                          const std::string& text) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(a.host, ec);
  if (!ec) return {ip, a.port};
  tcp::resolver resolver(ex);
  const auto results = resolver.resolve(a.host, std::to_string(a.port), tcp::resolver::passive, ec);
  if (ec || results.empty())
    throw std::runtime_error("cannot listen on " + text + ": cannot resolve host (" + ec.message() +
                             ")");
  return results.begin()->endpoint();  // the first address only, e.g. 127.0.0.1 for localhost
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> s, std::size_t index) {
  auto& acceptor = s->acceptors[index];
  asio::steady_timer backoff(s->strand);
  const auto& spread = s->options.connection_executors;
  for (;;) {
    // A connection on an io_context of its own thread needs no strand; otherwise it gets one.
    asio::any_io_executor strand = spread.empty()
                                       ? asio::any_io_executor(asio::make_strand(s->executor))
                                       : spread[s->next_executor++ % spread.size()];
    auto [ec, socket] = co_await acceptor.async_accept(strand, asio::as_tuple(asio::use_awaitable));
    if (s->stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) {  // e.g. out of file descriptors: back off instead of spinning
      spdlog::warn("http accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    // Responses go out in several writes (a streamed head, then body chunks): without this,
    // Nagle's algorithm holds the second write until the peer's delayed ACK, 40 ms later.
    boost::system::error_code nodelay_ec;
    socket.set_option(asio::ip::tcp::no_delay(true), nodelay_ec);
    auto slot = std::make_shared<detail::ConnectionSlot>(strand);
    std::uint64_t id = 0;
    {
      std::lock_guard lock(s->mutex);
      if (s->connections.size() >= s->options.max_connections) {
        spdlog::warn("http connection limit ({}) reached; closing a new connection",
                     s->options.max_connections);
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      id = s->next_id++;
      s->connections.emplace(id, slot);
    }
    auto done = [s, id](const std::exception_ptr&) { unregister(s, id); };
    asio::co_spawn(strand, detail::serve_connection(s, slot, std::move(socket)),
                   asio::bind_cancellation_slot(slot->cancel.slot(), std::move(done)));
  }
}

// Waits on the server strand until no connection is left or `deadline` passes.
asio::awaitable<bool> wait_drained(std::shared_ptr<State> s,
                                   std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    {
      std::lock_guard lock(s->mutex);
      if (s->connections.empty()) co_return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    s->drained.expires_at(deadline);
    co_await s->drained.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void hard_cancel(const SlotList& slots) {
  for (const auto& slot : slots)
    asio::post(slot->strand, [slot] {
      slot->cancel.emit(asio::cancellation_type::terminal);
      if (slot->close_socket) slot->close_socket();
    });
}

asio::awaitable<void> shutdown_on_strand(std::shared_ptr<State> s,
                                         std::chrono::milliseconds grace) {
  s->stopping = true;
  for (auto& a : s->acceptors) {
    boost::system::error_code ignored;
    a.close(ignored);
  }
  // Idle connections go now; busy ones see `stopping` and close after their response.
  for (const auto& slot : snapshot(*s))
    asio::post(slot->strand, [slot] {
      if (slot->idle && slot->close_socket) slot->close_socket();
    });
  if (co_await wait_drained(s, std::chrono::steady_clock::now() + grace)) co_return;
  spdlog::warn("http shutdown: cancelling requests still running after {} ms", grace.count());
  hard_cancel(snapshot(*s));
  co_await wait_drained(s, std::chrono::steady_clock::time_point::max());
}

}  // namespace

Server::Server(asio::any_io_executor executor, ServerOptions options, Handler handler) {
  if (!handler) throw std::invalid_argument("http server needs a handler");
  if (options.listen.empty()) throw std::invalid_argument("http.listen: no address given");
  for (const auto& text : options.listen)
    if (!parse_listen_address(text))
      throw std::invalid_argument("http.listen: '" + text +
                                  "' is not host:port (IPv6 as [addr]:port)");
  if (options.max_header_bytes == 0 || options.max_connections == 0)
    throw std::invalid_argument("http: max_header_bytes and max_connections must be positive");
  if (options.read_timeout.count() <= 0 || options.idle_timeout.count() <= 0 ||
      options.write_timeout.count() <= 0)
    throw std::invalid_argument("http: timeouts must be positive");
  state_ = std::make_shared<State>(std::move(executor), std::move(options), std::move(handler));
  if (state_->options.tls) state_->tls.emplace(make_tls_context(*state_->options.tls));
}

Server::Server(asio::any_io_executor executor, ServerOptions options, Handler handler,
               StreamingRoute streaming)
    : Server(std::move(executor), std::move(options), std::move(handler)) {
  if (!streaming.wants || !streaming.handle)
    throw std::invalid_argument("http server: a streaming route needs wants and handle");
  state_->streaming = std::move(streaming);
}

Server::~Server() {
  // Without a prior shutdown(): stop abruptly. The state lives on in the pending operations.
  state_->stopping = true;
  for (auto& a : state_->acceptors) {
    boost::system::error_code ignored;
    a.close(ignored);
  }
  hard_cancel(snapshot(*state_));
}

void Server::listen() {
  if (!state_->acceptors.empty()) return;
  for (const auto& text : state_->options.listen) {
    const auto endpoint = resolve_one(state_->executor, *parse_listen_address(text), text);
    tcp::acceptor acceptor(state_->strand);
    boost::system::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + text + ": " + ec.message());
    state_->acceptors.push_back(std::move(acceptor));
  }
}

void Server::start() {
  listen();
  for (std::size_t i = 0; i < state_->acceptors.size(); ++i)
    asio::co_spawn(state_->strand, accept_loop(state_, i), [](const std::exception_ptr& e) {
      if (e) spdlog::error("http accept loop ended by an exception");
    });
}

std::uint16_t Server::port() const {
  if (state_->acceptors.empty()) return 0;
  boost::system::error_code ec;
  const auto ep = state_->acceptors.front().local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::size_t Server::connection_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections.size();
}

asio::awaitable<void> Server::shutdown(std::chrono::milliseconds grace) {
  co_await asio::co_spawn(state_->strand, shutdown_on_strand(state_, grace), asio::use_awaitable);
}

}  // namespace gatehouse::http
