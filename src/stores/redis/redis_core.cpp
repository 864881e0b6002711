#include "stores/redis/redis_core.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace gatehouse::redis {
namespace {

boost::system::error_code unavailable() {
  return make_error_code(StoreErrc::unavailable);
}

// Error replies for commands Redis did not execute, worth sending again shortly.
bool retry_later_on(const Reply& reply) {
  for (const char* code : {"TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN", "BUSY", "READONLY"})
    if (reply.is_error(code)) return true;
  return false;
}

}  // namespace

Core::Core(RedisUrl url, std::chrono::milliseconds timeout)
    : work_(io_.get_executor()),
      url_(std::move(url)),
      timeout_(timeout),
      slots_(cluster() ? slot_count : 0, nullptr),
      refresh_timer_(io_) {}

Core::~Core() = default;

void Core::start() {
  boost::asio::post(io_, [this] {
    if (!cluster()) {
      single_ = &node(url_.endpoints.front());
      return;
    }
    for (const auto& seed : url_.endpoints) node(seed);
    want_slots();
  });
}

void Core::stop() {
  boost::asio::post(io_, [this] { shutdown(); });
}

void Core::shutdown() {
  stopping_ = true;
  refresh_timer_.cancel();
  for (auto& [name, connection] : nodes_) connection->close();
  auto waiting = std::move(unrouted_);
  for (auto& request : waiting) finish(request, unavailable());
  work_.reset();
}

void Core::submit(std::shared_ptr<Request> request) {
  boost::asio::post(io_,
                    [this, request = std::move(request)]() mutable { begin(std::move(request)); });
}

void Core::cancel(std::shared_ptr<Request> request) {
  boost::asio::post(io_, [this, request = std::move(request)] {
    // Still unsent: it never reaches Redis. Sent: its real outcome follows.
    if (request->state == Request::State::queued)
      finish(request, make_error_code(StoreErrc::cancelled));
  });
}

RedisStoreStatistics Core::statistics() const {
  return {.connections_ready = ready_.load(),
          .commands_sent = sent_.load(),
          .reconnects = reconnects_.load(),
          .redirects = redirects_.load()};
}

std::string Core::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

void Core::note_error(const Connection& connection, const std::string& why) {
  std::lock_guard lock(error_mutex_);
  last_error_ = to_string(connection.endpoint()) + ": " + why;
}

void Core::begin(std::shared_ptr<Request> request) {
  if (stopping_) {
    finish(request, unavailable());
    return;
  }
  request->deadline_timer.emplace(io_, request->deadline);
  request->deadline_timer->async_wait(
      [this, weak = std::weak_ptr<Request>(request)](boost::system::error_code ec) {
        auto r = weak.lock();
        if (ec || !r || r->state == Request::State::done) return;
        Connection* overdue = r->state == Request::State::sent ? r->sent_on : nullptr;
        // Sent and unanswered: abandoned; each script is atomic, so it ran whole or not at all.
        finish(r, unavailable());
        // Replies come in order: everything sent after it waits behind it on a dead link.
        if (overdue) overdue->reset();
      });
  route(std::move(request));
}

void Core::finish(const std::shared_ptr<Request>& request, StoreResult<Reply> result) {
  if (request->state == Request::State::done) return;
  request->state = Request::State::done;
  if (request->deadline_timer) request->deadline_timer->cancel();
  if (request->retry_timer) request->retry_timer->cancel();
  request->complete(std::move(result));
}

void Core::route(std::shared_ptr<Request> request) {
  if (request->state == Request::State::done) return;
  if (request->cancel_requested.load()) {
    finish(request, make_error_code(StoreErrc::cancelled));
    return;
  }
  if (stopping_) {
    finish(request, unavailable());
    return;
  }
  Connection* target = request->pinned;
  if (!target && request->ask) target = &node(*request->ask);
  if (!target && !cluster()) target = single_;
  if (!target) target = slots_[request->command.slot];
  if (!target) {
    unrouted_.push_back(std::move(request));
    want_slots();
    return;
  }
  target->submit(std::move(request));
}

void Core::retry_later(std::shared_ptr<Request> request) {
  auto& timer = request->retry_timer.emplace(io_, retry_delay);
  timer.async_wait([this, request](boost::system::error_code ec) {
    if (!ec) route(request);
  });
}

void Core::on_reply(Connection& from, std::shared_ptr<Request> request, Reply reply) {
  request->state = Request::State::queued;  // answered: nothing of it is in flight any more
  if (reply.is_error()) {
    if (reply.is_error("NOSCRIPT") && request->command.script && !request->use_eval) {
      request->use_eval = true;  // EVAL also caches it on that node
      route(std::move(request));
      return;
    }
    if (cluster()) {
      if (auto redirect = parse_redirect(reply.text)) {
        redirects_.fetch_add(1, std::memory_order_relaxed);
        if (++request->redirects > max_redirects) {
          finish(request, unavailable());
          return;
        }
        if (redirect->endpoint.host.empty()) redirect->endpoint.host = from.endpoint().host;
        if (redirect->kind == Redirect::Kind::moved) {
          slots_[redirect->slot] = &node(redirect->endpoint);
          want_slots();
        } else {
          request->ask = redirect->endpoint;
        }
        route(std::move(request));
        return;
      }
    }
    if (retry_later_on(reply)) {
      if (cluster() && (reply.is_error("READONLY") || reply.is_error("CLUSTERDOWN"))) want_slots();
      retry_later(std::move(request));
      return;
    }
  }
  finish(request, std::move(reply));
}

void Core::on_unanswered(std::shared_ptr<Request> request) {
  if (request->state == Request::State::done) return;
  request->state = Request::State::queued;
  // A write may or may not have run: only reads are sent again.
  if (request->command.idempotent || request->pinned)
    route(std::move(request));
  else
    finish(request, unavailable());
}

void Core::on_ready(Connection&, bool reconnect) {
  ready_.fetch_add(1, std::memory_order_relaxed);
  if (reconnect) reconnects_.fetch_add(1, std::memory_order_relaxed);
  if (cluster()) refresh_slots();
}

void Core::on_lost(Connection&) {
  ready_.fetch_sub(1, std::memory_order_relaxed);
  if (cluster() && !stopping_) want_slots();  // a failover may have moved its slots
}

Connection& Core::node(const Endpoint& endpoint) {
  auto name = to_string(endpoint);
  auto it = nodes_.find(name);
  if (it == nodes_.end()) {
    it = nodes_.emplace(std::move(name), std::make_unique<Connection>(*this, endpoint)).first;
    if (!stopping_) it->second->start();
  }
  return *it->second;
}

void Core::want_slots() {
  slots_wanted_ = true;
  refresh_slots();
}

void Core::refresh_slots() {
  if (!slots_wanted_ || refreshing_ || stopping_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_refresh_ < refresh_interval) {
    if (!refresh_armed_) {
      refresh_armed_ = true;
      refresh_timer_.expires_at(last_refresh_ + refresh_interval);
      refresh_timer_.async_wait([this](boost::system::error_code ec) {
        refresh_armed_ = false;
        if (!ec) refresh_slots();
      });
    }
    return;
  }
  Connection* from = nullptr;
  for (auto& [name, connection] : nodes_)
    if (connection->ready()) from = connection.get();
  if (!from) return;  // on_ready() calls again
  refreshing_ = true;
  slots_wanted_ = false;
  last_refresh_ = now;
  auto request = std::make_shared<InternalRequest>(
      Command{.args = {"CLUSTER", "SLOTS"}}, now + timeout_,
      [this, asked = from->endpoint().host](StoreResult<Reply> result) {
        refreshing_ = false;
        if (stopping_) return;
        std::optional<std::vector<SlotRange>> table;
        if (result && !result->is_error()) table = parse_cluster_slots(*result, asked);
        if (table && !table->empty())
          apply_slots(*table);
        else
          want_slots();  // from another node, after refresh_interval
      });
  request->pinned = from;
  begin(std::move(request));
}

void Core::apply_slots(const std::vector<SlotRange>& table) {
  std::fill(slots_.begin(), slots_.end(), nullptr);
  for (const auto& range : table) {
    auto& master = node(range.master);
    std::fill(slots_.begin() + range.first, slots_.begin() + range.last + 1, &master);
  }
  // What waited for the table, and what waits on a node that may no longer own its slot.
  std::deque<std::shared_ptr<Request>> again = std::move(unrouted_);
  unrouted_.clear();
  for (auto& [name, connection] : nodes_)
    for (auto& request : connection->take_pending()) again.push_back(std::move(request));
  for (auto& request : again) route(std::move(request));
}

}  // namespace gatehouse::redis
