#include "stores/redis/redis_core.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

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

namespace {
thread_local Core* holding_core = nullptr;
thread_local bool held_any = false;
}  // namespace

class Core::HeldSubmissions {
 public:
  explicit HeldSubmissions(Core& core)
      : core_(core), outer_core_(holding_core), outer_held_(held_any) {
    holding_core = &core;
    held_any = false;
  }
  ~HeldSubmissions() {
    const bool wake = held_any;
    holding_core = outer_core_;
    held_any = outer_held_;
    if (wake) core_.wake_for_submissions();
  }
  HeldSubmissions(const HeldSubmissions&) = delete;
  HeldSubmissions& operator=(const HeldSubmissions&) = delete;

 private:
  Core& core_;
  Core* outer_core_;
  bool outer_held_;
};

Core::Core(RedisUrl url, std::chrono::milliseconds timeout, boost::asio::any_io_executor attached)
    : work_(io_.get_executor()),
      executor_(attached ? boost::asio::any_io_executor(boost::asio::make_strand(attached))
                         : boost::asio::any_io_executor(io_.get_executor())),
      url_(std::move(url)),
      timeout_(timeout),
      slots_(cluster() ? slot_count : 0, nullptr),
      refresh_timer_(executor_),
      deadline_timer_(executor_) {
  if (attached) work_.reset();  // io() stays idle: nothing runs it
}

// The connections first, while everything they might touch is still whole. Then the deadline
// list lets go of what it still holds: when the io_context stopped before shutdown() ran (an
// embedder that stops its loop first), a request in flight, such as the engine's own CLUSTER
// SLOTS, would otherwise keep itself alive through the list's reference.
Core::~Core() {
  nodes_.clear();
  while (first_deadline_) unlist_deadline(*first_deadline_);
}

void Core::start() {
  boost::asio::post(executor_, [this, self = shared_from_this()] {
    if (!cluster()) {
      single_ = &node(url_.endpoints.front());
      return;
    }
    for (const auto& seed : url_.endpoints) node(seed);
    want_slots();
  });
}

void Core::stop() {
  boost::asio::post(executor_, [this, self = shared_from_this()] { shutdown(); });
}

void Core::shutdown() {
  stopping_ = true;
  refresh_timer_.cancel();
  for (auto& [name, connection] : nodes_) connection->close();
  auto waiting = std::move(unrouted_);
  for (auto& request : waiting) finish(request, unavailable());
  // What is still listed waits for a retry: it would fail at its next route() anyway.
  while (first_deadline_) finish(first_deadline_->listed, unavailable());
  deadline_timer_.cancel();
  deadline_armed_ = false;
  work_.reset();
}

// Only the first submission of a burst posts (and wakes the io thread); drain() takes them all.
void Core::submit(std::shared_ptr<Request> request) {
  {
    std::lock_guard lock(submit_mutex_);
    submitted_.push_back(std::move(request));
    if (drain_posted_) return;
    if (holding_core == this) {
      held_any = true;
      return;
    }
    drain_posted_ = true;
  }
  boost::asio::post(executor_, [this, self = shared_from_this()] { drain(); });
}

void Core::wake_for_submissions() {
  {
    std::lock_guard lock(submit_mutex_);
    if (drain_posted_ || submitted_.empty()) return;
    drain_posted_ = true;
  }
  boost::asio::post(executor_, [this, self = shared_from_this()] { drain(); });
}

void Core::drain() {
  {
    std::lock_guard lock(submit_mutex_);
    draining_.swap(submitted_);
    drain_posted_ = false;
  }
  for (auto& request : draining_) begin(std::move(request));
  draining_.clear();  // keeps its capacity for the next burst
}

void Core::cancel(std::shared_ptr<Request> request) {
  boost::asio::post(executor_, [this, self = shared_from_this(), request = std::move(request)] {
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
  if (request->state == Request::State::done) return;  // cancelled before it got here
  if (stopping_) {
    finish(request, unavailable());
    return;
  }
  list_deadline(request);
  route(std::move(request));
}

// Deadlines come nearly in order (one timeout, set when the caller submits): the insertion
// walks back from the end only past requests submitted a moment later on another thread.
void Core::list_deadline(const std::shared_ptr<Request>& request) {
  Request* after = last_deadline_;
  while (after && after->deadline > request->deadline) after = after->earlier;
  request->earlier = after;
  request->later = after ? after->later : first_deadline_;
  (request->later ? request->later->earlier : last_deadline_) = request.get();
  (after ? after->later : first_deadline_) = request.get();
  request->listed = request;
  watch_deadlines();
}

void Core::unlist_deadline(Request& request) {
  if (!request.listed) return;
  (request.earlier ? request.earlier->later : first_deadline_) = request.later;
  (request.later ? request.later->earlier : last_deadline_) = request.earlier;
  request.earlier = request.later = nullptr;
  request.listed.reset();  // may be the last owner: the caller holds its own reference
}

// One timer for every deadline, armed for the earliest; finished requests leave the list without
// touching it, so it fires at most once per earliest deadline and re-arms for the next.
void Core::watch_deadlines() {
  if (!first_deadline_) return;
  const auto when = first_deadline_->deadline;
  if (deadline_armed_ && armed_for_ <= when) return;
  deadline_armed_ = true;
  armed_for_ = when;
  deadline_timer_.expires_at(when);
  deadline_timer_.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;  // re-armed earlier, or shut down
    deadline_armed_ = false;
    expire_overdue();
    watch_deadlines();
  });
}

void Core::expire_overdue() {
  const auto now = std::chrono::steady_clock::now();
  while (first_deadline_ && first_deadline_->deadline <= now) {
    auto r = first_deadline_->listed;
    Connection* overdue = r->state == Request::State::sent ? r->sent_on : nullptr;
    // Sent and unanswered: abandoned; each script is atomic, so it ran whole or not at all.
    finish(r, unavailable());
    // Replies come in order: everything sent after it waits behind it on a dead link.
    if (overdue) overdue->reset();
  }
}

void Core::finish(const std::shared_ptr<Request>& request, StoreResult<Reply> result) {
  if (request->state == Request::State::done) return;
  request->state = Request::State::done;
  if (request->retry_timer) request->retry_timer->cancel();
  auto keep = request;  // `request` may refer to the list's own reference
  unlist_deadline(*keep);
  auto executor = keep->complete(std::move(result));
  if (!executor) return;
  auto group = std::find_if(completions_.begin(), completions_.end(),
                            [&](const Completions& c) { return c.executor == *executor; });
  if (group == completions_.end())
    group = completions_.insert(completions_.end(), Completions{std::move(*executor), {}});
  group->requests.push_back(std::move(keep));
  if (completions_posted_) return;
  completions_posted_ = true;
  // From the io thread itself: no wake-up, it runs after what this turn is handling.
  boost::asio::post(executor_, [this, self = shared_from_this()] { flush_completions(); });
}

// One post per caller executor for every outcome of this loop turn. The batch keeps the Core
// alive: a caller may let the last engine go while it is resumed. Each group's executor counts
// as work and is let go here, after its post returned: until then the caller's context must not
// run out of work and be destroyed while the post is still signalling it.
void Core::flush_completions() {
  completions_posted_ = false;
  auto groups = std::move(completions_);
  completions_.clear();
  for (auto& group : groups)
    boost::asio::post(group.executor,
                      [core = shared_from_this(), requests = std::move(group.requests)] {
                        HeldSubmissions held(*core);
                        for (const auto& request : requests) request->resume();
                      });
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
  auto& timer = request->retry_timer.emplace(executor_, retry_delay);
  timer.async_wait([this, self = shared_from_this(), request](boost::system::error_code ec) {
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
      refresh_timer_.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
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
