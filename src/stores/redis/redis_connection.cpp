#include "stores/redis/redis_connection.hpp"

#include "stores/redis/redis_core.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <sys/ioctl.h>

#include <random>

namespace gatehouse::redis {

// hiredis's event hooks on an Asio stream_descriptor: one outstanding async_wait per direction
// while hiredis wants it. The descriptor is released, never closed, when hiredis cleans up (it
// closes its socket itself); a wait that completes after that finds no context and returns.
//
// Once connected, a write is not waited for: the first command of a loop turn posts one flush
// (to this thread: no wake-up), so a burst leaves in one write and the socket is polled for
// writability only when it is full. hiredis reads at most 16 KiB per call and the reactor is
// edge-triggered, so while the socket still holds bytes the next read is posted, not awaited.
class AsioEvents : public std::enable_shared_from_this<AsioEvents> {
 public:
  AsioEvents(const boost::asio::any_io_executor& executor, redisAsyncContext* context,
             Connection& owner)
      : descriptor_(executor, context->c.fd), context_(context), owner_(owner) {}

  ~AsioEvents() {
    if (descriptor_.is_open()) descriptor_.release();
  }

  void attach() {
    auto& ev = context_->ev;
    ev.data = this;
    ev.addRead = [](void* self) { static_cast<AsioEvents*>(self)->want(read, true); };
    ev.delRead = [](void* self) { static_cast<AsioEvents*>(self)->want(read, false); };
    ev.addWrite = [](void* self) { static_cast<AsioEvents*>(self)->want(write, true); };
    ev.delWrite = [](void* self) { static_cast<AsioEvents*>(self)->want(write, false); };
    ev.cleanup = [](void* self) { static_cast<AsioEvents*>(self)->detach(); };
  }

 private:
  enum Direction { read = 0, write = 1 };

  void want(Direction d, bool on) {
    wanted_[d] = on;
    if (!on) return;
    if (d == write && context_ && (context_->c.flags & REDIS_CONNECTED))
      flush_soon();
    else
      arm(d);
  }

  void flush_soon() {
    if (flush_posted_ || waiting_[write]) return;
    flush_posted_ = true;
    boost::asio::post(descriptor_.get_executor(), [self = shared_from_this()] {
      self->flush_posted_ = false;
      if (!self->context_ || !self->wanted_[write]) return;
      redisAsyncHandleWrite(self->context_);
      // Not all of it went out: the socket's buffer is full.
      if (self->context_ && self->wanted_[write]) self->arm(write);
    });
  }

  // Whether the socket still holds unread bytes (hiredis reads 16 KiB at a time).
  bool more_to_read() const {
    int unread = 0;
    return ::ioctl(context_->c.fd, FIONREAD, &unread) == 0 && unread > 0;
  }

  void arm(Direction d) {
    if (waiting_[d] || !context_ || (d == read && (reading_ || read_posted_))) return;
    waiting_[d] = true;
    using Wait = boost::asio::posix::descriptor_base::wait_type;
    descriptor_.async_wait(d == read ? Wait::wait_read : Wait::wait_write,
                           [self = shared_from_this(), d](boost::system::error_code ec) {
                             self->waiting_[d] = false;
                             if (ec || !self->context_ || !self->wanted_[d]) return;
                             if (d == read) return self->read_some();
                             redisAsyncHandleWrite(self->context_);
                             // The context may be gone now (detach() ran inside hiredis).
                             if (self->context_ && self->wanted_[d]) self->arm(d);
                           });
  }

  void read_some() {
    reading_ = true;
    redisAsyncHandleRead(context_);
    reading_ = false;
    if (!context_ || !wanted_[read]) return;  // detach() may have run inside hiredis
    if (!more_to_read()) return arm(read);
    // The rest on the next turn: the callers of this part get their outcomes first.
    read_posted_ = true;
    boost::asio::post(descriptor_.get_executor(), [self = shared_from_this()] {
      self->read_posted_ = false;
      if (self->context_ && self->wanted_[read]) self->read_some();
    });
  }

  void detach() {
    if (!context_) return;  // hiredis may clean up twice
    context_ = nullptr;
    if (descriptor_.is_open()) descriptor_.release();  // cancels the waits, keeps the fd open
    owner_.context_gone();
  }

  boost::asio::posix::stream_descriptor descriptor_;
  redisAsyncContext* context_;
  Connection& owner_;
  bool wanted_[2] = {false, false};
  bool waiting_[2] = {false, false};
  bool flush_posted_ = false;
  bool reading_ = false;
  bool read_posted_ = false;
};

Connection::Connection(Core& core, Endpoint endpoint)
    : core_(core),
      endpoint_(std::move(endpoint)),
      resolver_(core.executor()),
      timer_(core.executor()) {}

// Only when the Core goes without a shutdown (its executor's context was destroyed with the
// Core's handlers): what hiredis reports while it frees the context must not reach the Core.
Connection::~Connection() {
  abandoned_ = true;
  if (context_) redisAsyncFree(context_);
}

void Connection::start() {
  if (state_ != State::idle) return;
  state_ = State::resolving;
  // Asio's resolver runs getaddrinfo off this thread (hiredis 0.14 would block in it).
  resolver_.async_resolve(
      endpoint_.host, std::to_string(endpoint_.port),
      boost::asio::ip::tcp::resolver::numeric_service,
      [this, core = core_.shared_from_this()](boost::system::error_code ec,
                                              boost::asio::ip::tcp::resolver::results_type found) {
        if (state_ != State::resolving) return;
        if (ec || found.empty()) {
          state_ = State::idle;
          failed("cannot resolve " + endpoint_.host + ": " + ec.message());
          schedule_reconnect();
          return;
        }
        connect(found.begin()->endpoint().address().to_string());
      });
}

void Connection::connect(const std::string& address) {
  context_ = redisAsyncConnect(address.c_str(), endpoint_.port);
  if (!context_ || context_->err) {
    failed(context_ && context_->errstr ? context_->errstr : "cannot connect");
    if (context_) redisAsyncFree(context_);  // never connected: no callbacks, no hooks
    context_ = nullptr;
    state_ = State::idle;
    schedule_reconnect();
    return;
  }
  context_->data = this;
  build_reply_values(*context_->c.reader);
  try {
    events_ = std::make_shared<AsioEvents>(core_.executor(), context_, *this);
  } catch (const boost::system::system_error& e) {
    failed(e.what());
    redisAsyncFree(context_);
    context_ = nullptr;
    state_ = State::idle;
    schedule_reconnect();
    return;
  }
  events_->attach();
  state_ = State::connecting;
  connected_ = false;
  redisAsyncSetConnectCallback(context_, &Connection::on_connect);
  redisAsyncSetDisconnectCallback(context_, &Connection::on_disconnect);
  handshake();
  timer_.expires_after(core_.timeout());
  timer_.async_wait([this, core = core_.shared_from_this()](boost::system::error_code ec) {
    if (ec || state_ != State::connecting) return;
    failed("no answer within the timeout");
    drop();
  });
}

// AUTH and SELECT go first on the wire; commands follow only once both are answered.
void Connection::handshake() {
  const auto& url = core_.url();
  handshake_left_ = 0;
  auto send = [this](std::vector<std::string> args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (redisAsyncCommandArgv(context_, &Connection::on_handshake_reply, this,
                              static_cast<int>(argv.size()), argv.data(),
                              lengths.data()) == REDIS_OK)
      ++handshake_left_;
  };
  if (!url.password.empty()) {
    if (url.user.empty())
      send({"AUTH", url.password});
    else
      send({"AUTH", url.user, url.password});
  }
  if (url.database != 0) send({"SELECT", std::to_string(url.database)});
}

void Connection::on_connect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<Connection*>(context->data);
  if (status != REDIS_OK) {
    // hiredis frees the context right after: context_gone() reports the loss.
    self->failed(context->errstr ? context->errstr : "cannot connect");
    return;
  }
  self->connected_ = true;
  if (self->handshake_left_ == 0 && self->state_ == State::connecting) self->become_ready();
}

void Connection::on_disconnect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<Connection*>(context->data);
  if (status != REDIS_OK) self->failed(context->errstr ? context->errstr : "connection lost");
}

void Connection::on_handshake_reply(redisAsyncContext*, void* raw, void* self_ptr) {
  auto* self = static_cast<Connection*>(self_ptr);
  if (!raw) return;  // the context is going away
  const auto reply = take_reply_value(raw);
  if (reply.is_error()) {
    // AUTH's errors never repeat the password.
    self->failed(reply.text);
    self->drop();
    return;
  }
  if (--self->handshake_left_ == 0 && self->connected_ && self->state_ == State::connecting)
    self->become_ready();
}

void Connection::become_ready() {
  state_ = State::ready;
  timer_.cancel();
  backoff_ = first_backoff;
  counted_up_ = true;
  core_.on_ready(*this, was_ready_);
  was_ready_ = true;
  auto queued = std::move(pending_);
  pending_.clear();
  while (!queued.empty() && state_ == State::ready) {
    auto request = std::move(queued.front());
    queued.pop_front();
    send(request);
  }
  for (auto& r : queued) pending_.push_back(std::move(r));
}

void Connection::submit(std::shared_ptr<Request> request) {
  if (state_ == State::ready) {
    send(request);
    return;
  }
  if (state_ == State::closed) {
    core_.finish(request, make_error_code(StoreErrc::unavailable));
    return;
  }
  if (pending_.size() >= max_pending) {
    std::erase_if(pending_, [](const auto& r) { return r->state == Request::State::done; });
    if (pending_.size() >= max_pending) {
      core_.finish(request, make_error_code(StoreErrc::unavailable));
      return;
    }
  }
  pending_.push_back(std::move(request));
}

void Connection::send(const std::shared_ptr<Request>& request) {
  if (request->state == Request::State::done) return;
  if (request->cancel_requested.load()) {
    core_.finish(request, make_error_code(StoreErrc::cancelled));
    return;
  }
  const auto& command = request->command;
  auto& argv = argv_;  // reused: no allocation per command
  auto& lengths = lengths_;
  argv.clear();
  lengths.clear();
  if (command.script) {
    const std::string_view verb = request->use_eval ? "EVAL" : "EVALSHA";
    const std::string& what = request->use_eval ? command.script->body : command.script->sha1;
    argv.push_back(verb.data());
    lengths.push_back(verb.size());
    argv.push_back(what.data());
    lengths.push_back(what.size());
  }
  for (const auto& a : command.args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (request->ask) {
    const char* asking = "ASKING";
    redisAsyncCommandArgv(context_, nullptr, nullptr, 1, &asking, nullptr);
  }
  if (redisAsyncCommandArgv(context_, &Connection::on_reply, this, static_cast<int>(argv.size()),
                            argv.data(), lengths.data()) != REDIS_OK) {
    // The context is shutting down: the command was not sent.
    state_ = State::closing;
    pending_.push_front(request);
    return;
  }
  request->ask.reset();
  request->state = Request::State::sent;
  request->sent_on = this;
  inflight_.push_back(request);
  core_.count_sent();
}

void Connection::on_reply(redisAsyncContext*, void* raw, void* self_ptr) {
  auto* self = static_cast<Connection*>(self_ptr);
  if (self->inflight_.empty() || self->abandoned_) return;
  auto request = std::move(self->inflight_.front());
  self->inflight_.pop_front();
  request->sent_on = nullptr;
  if (!raw) {
    // hiredis is freeing the context: nothing more is sent on it.
    if (self->state_ == State::ready || self->state_ == State::connecting)
      self->state_ = State::closing;
    self->core_.on_unanswered(std::move(request));
    return;
  }
  if (request->state == Request::State::done) return;  // abandoned at its deadline
  self->core_.on_reply(*self, std::move(request), take_reply_value(raw));
}

void Connection::drop() {
  if (!context_) return;
  auto* context = context_;
  context_ = nullptr;
  if (state_ != State::closed) state_ = State::closing;
  // Inside a hiredis callback this is deferred until the callback returns.
  redisAsyncFree(context);
}

void Connection::context_gone() {
  context_ = nullptr;
  if (abandoned_) return;
  if (state_ != State::closed) state_ = State::closing;
  // Not from inside hiredis: it is still unwinding the context.
  boost::asio::post(core_.executor(), [this, core = core_.shared_from_this()] { lost(); });
}

void Connection::lost() {
  events_.reset();
  if (counted_up_) {
    counted_up_ = false;
    core_.on_lost(*this);
  }
  if (state_ == State::closed) return;
  state_ = State::idle;
  schedule_reconnect();
}

void Connection::reset() {
  if (state_ == State::ready || state_ == State::connecting) {
    failed("no reply within the timeout");
    drop();
  }
}

void Connection::close() {
  state_ = State::closed;
  timer_.cancel();
  resolver_.cancel();
  if (context_) {
    auto* context = context_;
    context_ = nullptr;
    redisAsyncFree(context);  // what was sent fails through on_reply
  }
  for (auto& request : take_pending())
    core_.finish(request, make_error_code(StoreErrc::unavailable));
}

std::deque<std::shared_ptr<Request>> Connection::take_pending() {
  auto out = std::move(pending_);
  pending_.clear();
  return out;
}

void Connection::failed(std::string why) {
  if (abandoned_) return;
  core_.note_error(*this, why);
}

void Connection::schedule_reconnect() {
  if (state_ != State::idle) return;
  thread_local std::minstd_rand jitter(std::random_device{}());
  const auto base = backoff_.count();
  const auto delay = std::chrono::milliseconds(
      base * 4 / 5 + static_cast<long>(jitter() % static_cast<unsigned>(base * 2 / 5 + 1)));
  backoff_ = std::min(backoff_ * 2, max_backoff);
  timer_.expires_after(delay);
  timer_.async_wait([this, core = core_.shared_from_this()](boost::system::error_code ec) {
    if (!ec && state_ == State::idle) start();
  });
}

}  // namespace gatehouse::redis
