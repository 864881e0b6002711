#include "stores/postgres/postgres_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace gatehouse::postgres {
namespace {

constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{2000};
constexpr std::chrono::milliseconds cancel_repeat{20};
constexpr std::chrono::seconds timeout_report_interval{1};

template <class T>
bool remove_from(std::vector<std::shared_ptr<T>>& list, const T* item) {
  auto it =
      std::find_if(list.begin(), list.end(), [item](const auto& p) { return p.get() == item; });
  if (it == list.end()) return false;
  list.erase(it);
  return true;
}

}  // namespace

Pool::Pool(boost::asio::io_context& io, const ConnectionParameters& parameters,
           std::vector<StatementText> statements, Settings settings)
    : io_(io),
      work_(io.get_executor()),
      parameters_(parameters),
      statements_(std::move(statements)),
      settings_(settings),
      connector_(settings.timeout),
      canceller_(settings.timeout),
      jitter_(std::random_device{}()) {}

void Pool::attach(Job& job) {
  job.post_cancel_ = [this](std::shared_ptr<Job> j) {
    boost::asio::post(io_, [this, j = std::move(j)] { cancel(j); });
  };
}

void Pool::submit(std::shared_ptr<Job> job) {
  boost::asio::post(io_, [this, job = std::move(job)]() mutable { enqueue(std::move(job)); });
}

void Pool::stop() {
  boost::asio::post(io_, [this] {
    stopping_ = true;
    check_stopped();
  });
}

void Pool::when_cancellations_ended(std::function<void()> then) {
  boost::asio::post(io_, [this, then = std::move(then)]() mutable {
    cancel_waiters_.push_back(std::move(then));
    notify_cancel_waiters();
  });
}

void Pool::add(std::shared_ptr<Connection> connection) {
  ++open_;
  make_idle(connection);
}

void Pool::enqueue(std::shared_ptr<Job> job) {
  if (job->cancel_requested) {  // cancelled before it got here
    finish(job, make_error_code(StoreErrc::cancelled));
    return;
  }
  job->deadline.emplace(io_);
  job->deadline->expires_after(settings_.timeout);
  job->deadline->async_wait([this, weak = std::weak_ptr<Job>(job)](boost::system::error_code ec) {
    if (auto j = weak.lock(); j && !ec) expire(j);
  });
  queue_.push_back(std::move(job));
  pump();
}

void Pool::cancel(const std::shared_ptr<Job>& job) {
  if (job->phase == Job::Phase::done || job->cancel_requested) return;
  job->cancel_requested = true;
  if (job->phase == Job::Phase::queued) {
    // Not yet enqueued, enqueue() sees the flag; queued, it is dropped here.
    if (auto it = std::find(queue_.begin(), queue_.end(), job); it != queue_.end()) {
      queue_.erase(it);
      finish(job, make_error_code(StoreErrc::cancelled));
    }
    return;
  }
  ++cancelling_;
  send_cancel(job->connection, job);
}

void Pool::expire(const std::shared_ptr<Job>& job) {
  if (job->phase == Job::Phase::queued || job->phase == Job::Phase::running) report_timeout(*job);
  if (job->phase == Job::Phase::queued) {
    if (auto it = std::find(queue_.begin(), queue_.end(), job); it != queue_.end())
      queue_.erase(it);
    finish(job, make_error_code(StoreErrc::unavailable));
    return;
  }
  if (job->phase != Job::Phase::running) return;
  // Answer now; stop the statement on the server (so it does not commit later, where it can)
  // and end the connection, which run() then closes.
  auto c = job->connection;
  finish(job, make_error_code(StoreErrc::unavailable));
  send_cancel(c, nullptr);
  c->abort();
}

void Pool::report_timeout(const Job& job) {
  // At most one line a second, so a struggling server does not also flood the log.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_timeout_report_ < timeout_report_interval) {
    ++unreported_timeouts_;
    return;
  }
  last_timeout_report_ = now;
  const auto unreported = std::exchange(unreported_timeouts_, 0);
  spdlog::warn(
      "session store: {} on {} timed out after {} ms ({}), answered unavailable{}",
      operation_of(job.statement), parameters_.where(), settings_.timeout.count(),
      job.phase == Job::Phase::queued ? "still waiting for a free connection"
                                      : "the server had not answered",
      unreported ? fmt::format("; {} more timed out since the last report", unreported) : "");
}

void Pool::finish(const std::shared_ptr<Job>& job, boost::system::error_code ec,
                  const PGresult* result) {
  if (job->phase == Job::Phase::done) return;
  const bool was_cancelling = job->phase == Job::Phase::running && job->cancel_requested;
  job->phase = Job::Phase::done;
  // Nothing of the io thread's stays with the job: its last owner may be a caller's thread.
  job->deadline.reset();
  job->connection.reset();
  job->complete(ec, result);
  if (was_cancelling) {
    --cancelling_;
    notify_cancel_waiters();
  }
}

void Pool::start(const std::shared_ptr<Connection>& c, const std::shared_ptr<Job>& job) {
  // Running from here on (before run() sends it): a cancellation meanwhile goes to its
  // connection.
  job->phase = Job::Phase::running;
  job->connection = c;
  ++busy_;
}

void Pool::fail_queued() {
  auto failed = std::move(queue_);
  queue_.clear();
  for (auto& job : failed) finish(job, make_error_code(StoreErrc::unavailable));
}

void Pool::pump() {
  while (!queue_.empty() && !idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    c->stop_watching();
    if (!c->healthy()) {
      close(c);
      continue;
    }
    auto job = std::move(queue_.front());
    queue_.pop_front();
    start(c, job);
    boost::asio::co_spawn(io_, run(std::move(c), std::move(job)), boost::asio::detached);
  }
  if (queue_.empty()) return check_stopped();
  if (std::chrono::steady_clock::now() < retry_at_) {
    // Connecting failed moments ago; with no connection left the server is down: say so now
    // instead of at the timeout.
    if (open_ == 0) fail_queued();
    return;
  }
  const std::size_t attempts = connecting_;
  std::size_t wanted = std::min(queue_.size() > attempts ? queue_.size() - attempts : 0,
                                settings_.size - std::min(settings_.size, open_));
  // After a failure, and with nothing up, one attempt at a time probes the server.
  if (backoff_.count() > 0 && open_ == attempts)
    wanted = attempts == 0 ? std::min<std::size_t>(wanted, 1) : 0;
  for (std::size_t i = 0; i < wanted; ++i) open_connection();
}

boost::asio::awaitable<void> Pool::run(std::shared_ptr<Connection> c, std::shared_ptr<Job> job) {
  // While operations are queued and the connection stays usable, it takes the next one itself:
  // no trip through the idle list (and its socket watch) and no coroutine per operation.
  while (job) {
    Connection::Outcome out;
    // Cancelled before it was sent: nothing to ask the server (a cancel request sent already
    // finds the connection idle, and it waits until the server took it).
    if (!job->cancel_requested && job->phase == Job::Phase::running)
      out = co_await c->execute(job->statement,
                                statements_[static_cast<std::size_t>(job->statement)], job->params);
    --busy_;
    job->connection.reset();
    bool usable = false;
    if (job->phase == Job::Phase::running && job->cancel_requested && !out.sent) {
      finish(job, make_error_code(StoreErrc::cancelled));
      usable = true;
    } else if (job->phase == Job::Phase::done) {
      close(c);  // it timed out: expire() answered and aborted the connection
    } else if (out.lost && !out.sent && !job->retried) {
      // It never reached the server (a connection that died while idle): run it on another.
      close(c);
      job->retried = true;
      job->phase = Job::Phase::queued;
      queue_.push_front(job);
    } else if (out.lost) {
      close(c);
      finish(job, make_error_code(StoreErrc::unavailable));
    } else {
      const auto status = PQresultStatus(out.result.get());
      if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
        finish(job, {}, out.result.get());
      else
        finish(job, error_of(out.result.get(), job->cancel_requested));
      usable = true;
    }
    job.reset();
    if (!usable) break;
    if (queue_.empty() || stopped_ || !c->healthy() || c->pending_cancels > 0) {
      dispose(c);
      break;
    }
    job = std::move(queue_.front());
    queue_.pop_front();
    start(c, job);
  }
  pump();
}

void Pool::open_connection() {
  ++open_;
  ++connecting_;
  struct Attempt {
    ConnectionHandle handle;
    std::string error;
  };
  auto attempt = std::make_shared<Attempt>();
  // The work owns copies: after a shutdown that did not wait for it, it finishes alone.
  auto work = [attempt, parameters = parameters_] {
    try {
      attempt->handle = connect_blocking(parameters);
    } catch (const StoreOpenError& e) {
      attempt->error = e.what();
    }
  };
  connector_.run(std::move(work), [this, attempt] {
    boost::asio::post(io_,
                      [this, attempt] { connected(std::move(attempt->handle), attempt->error); });
  });
}

void Pool::connected(ConnectionHandle handle, const std::string& error) {
  --connecting_;
  auto c = std::make_shared<Connection>(io_);
  std::string problem = error;
  if (stopped_ || !handle || !c->adopt(std::move(handle), problem)) {
    --open_;
    if (!stopped_) connect_failed(problem);
  } else {
    if (reported_down_) spdlog::info("session store: {} is reachable again", parameters_.where());
    reported_down_ = false;
    backoff_ = std::chrono::milliseconds{0};
    retry_at_ = {};
    make_idle(c);
  }
  pump();
}

void Pool::connect_failed(const std::string& error) {
  backoff_ = backoff_.count() == 0 ? first_backoff : std::min(backoff_ * 2, max_backoff);
  std::uniform_int_distribution<long> spread(-backoff_.count() / 4, backoff_.count() / 4);
  retry_at_ =
      std::chrono::steady_clock::now() + backoff_ + std::chrono::milliseconds(spread(jitter_));
  if (open_ > 0) return;  // other connections still serve the queue
  if (!reported_down_) spdlog::warn("session store: {}; retrying with backoff", error);
  reported_down_ = true;
  fail_queued();
}

void Pool::make_idle(const std::shared_ptr<Connection>& c) {
  idle_.push_back(c);
  c->watch([this, weak = std::weak_ptr<Connection>(c)] { idle_closed(weak); });
}

void Pool::dispose(const std::shared_ptr<Connection>& c) {
  if (!c->healthy())
    close(c);
  else if (c->pending_cancels > 0)
    parked_.push_back(c);
  else
    make_idle(c);
}

void Pool::close(const std::shared_ptr<Connection>& c) {
  c->abort();
  --open_;
}

void Pool::idle_closed(const std::weak_ptr<Connection>& weak) {
  auto c = weak.lock();
  if (!c || !remove_from(idle_, c.get())) return;
  --open_;
  spdlog::debug("session store: {} closed an idle connection", parameters_.where());
  check_stopped();
}

void Pool::send_cancel(const std::shared_ptr<Connection>& c, const std::shared_ptr<Job>& job) {
  ++c->pending_cancels;
  ++cancels_in_flight_;
  auto cancel = [key = c->cancel_key()] {
    char error[256];
    PQcancel(key.get(), error, sizeof error);  // failing is fine: the timeout still holds
  };
  canceller_.run(std::move(cancel),
                 [this, weak = std::weak_ptr<Connection>(c), target = std::weak_ptr<Job>(job)] {
                   boost::asio::post(io_, [this, weak, target] { cancel_confirmed(weak, target); });
                 });
}

void Pool::cancel_confirmed(const std::weak_ptr<Connection>& weak,
                            const std::weak_ptr<Job>& target) {
  --cancels_in_flight_;
  if (stopped_) return;
  auto c = weak.lock();
  if (c) --c->pending_cancels;
  auto job = target.lock();
  if (c && job && job->phase == Job::Phase::running && job->connection == c) {
    // Still running: the signal found the backend before it had read the statement (it then
    // ignores it), so ask again a little later, until the statement ends or times out.
    auto pause = std::make_shared<boost::asio::steady_timer>(io_, cancel_repeat);
    pause->async_wait([this, pause, c, job](boost::system::error_code ec) {
      if (!ec && !stopped_ && job->phase == Job::Phase::running && job->connection == c)
        send_cancel(c, job);
      else if (c->pending_cancels == 0 && remove_from(parked_, c.get()))
        dispose(c);
    });
  } else if (c && c->pending_cancels == 0 && remove_from(parked_, c.get())) {
    dispose(c);
  }
  notify_cancel_waiters();
  pump();
}

void Pool::notify_cancel_waiters() {
  if (cancels_in_flight_ > 0 || cancelling_ > 0) return;
  auto waiters = std::move(cancel_waiters_);
  cancel_waiters_.clear();
  for (auto& w : waiters) w();
}

void Pool::check_stopped() {
  if (!stopping_ || stopped_ || !queue_.empty() || busy_ > 0) return;
  stopped_ = true;
  // Nothing runs any more: no cancel request matters, and a connection being opened is closed
  // where it is made.
  canceller_.abandon();
  connector_.abandon();
  for (auto& c : idle_) c->stop_watching();
  idle_.clear();
  parked_.clear();
  open_ = 0;
  auto waiters = std::move(cancel_waiters_);
  cancel_waiters_.clear();
  for (auto& w : waiters) w();
  work_.reset();
}

}  // namespace gatehouse::postgres
