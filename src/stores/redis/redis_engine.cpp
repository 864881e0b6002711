#include "stores/redis/redis_engine.hpp"

#include "posix/thread_name.hpp"
#include "stores/redis/redis_layout.hpp"

#include <boost/asio/io_context.hpp>

#include <future>

namespace gatehouse {
namespace {

[[noreturn]] void refuse(StoreErrc code, const std::string& what) {
  throw StoreOpenError(make_error_code(code), what);
}

std::string endpoints_of(const redis::RedisUrl& url) {
  std::string out;
  for (const auto& e : url.endpoints) out += (out.empty() ? "" : ",") + redis::to_string(e);
  return out;
}

}  // namespace

RedisSessionEngine::RedisSessionEngine(redis::RedisUrl url, std::string prefix,
                                       std::chrono::milliseconds timeout,
                                       boost::asio::any_io_executor attached)
    : prefix_(std::move(prefix)), timeout_(timeout) {
  if (attached) {
    // The probe has a thread of its own: `attached` may only start running after this returns.
    RedisSessionEngine probe(url, prefix_, timeout);
    attached_ = attached;
    core_ = std::make_shared<redis::Core>(std::move(url), timeout, std::move(attached));
    core_->start();
    return;
  }
  core_ = std::make_shared<redis::Core>(std::move(url), timeout);
  // The thread keeps the Core alive until its run() returns, whoever lets the engine go.
  thread_ = std::thread([core = core_] {
    posix::name_this_thread("gh-redis");
    core->io().run();
  });
  core_->start();
  try {
    wait_until_reachable(*core_, timeout_);
  } catch (...) {
    stop();
    throw;
  }
}

RedisSessionEngine::~RedisSessionEngine() {
  stop();
}

void RedisSessionEngine::stop() {
  if (attached_) {
    // Stopped (the gateway's io threads have returned): nothing runs the Core any more.
    const auto* io = attached_.target<boost::asio::io_context::executor_type>();
    if (io && io->context().stopped())
      core_->stop_here();
    else
      core_->stop();  // on its strand; the Core goes once its last handler has run
    return;
  }
  if (!thread_.joinable()) return;
  core_->stop();
  // Never join from the engine's own thread (its last owner let go there): it ends by itself.
  if (thread_.get_id() == std::this_thread::get_id())
    thread_.detach();
  else
    thread_.join();
}

// One PING (in a cluster: after the slot table arrived, to the master of slot 0), so a wrong
// address or password fails at start-up with a message instead of at the first request.
void RedisSessionEngine::wait_until_reachable(redis::Core& core,
                                              std::chrono::milliseconds timeout) {
  std::promise<StoreResult<redis::Reply>> promise;
  auto outcome = promise.get_future();
  auto ping = std::make_shared<redis::InternalRequest>(
      redis::Command{.args = {"PING"}, .idempotent = true},
      std::chrono::steady_clock::now() + timeout,
      [&promise](StoreResult<redis::Reply> r) { promise.set_value(std::move(r)); });
  core.submit(ping);
  auto result = outcome.get();
  const auto where = "Redis at " + endpoints_of(core.url());
  if (!result) {
    auto why = core.last_error();
    refuse(StoreErrc::unavailable,
           where + " is unavailable" + (why.empty() ? std::string() : " (" + why + ")"));
  }
  if (result->is_error()) refuse(StoreErrc::unavailable, where + " refused PING: " + result->text);
}

void RedisSessionEngine::Cancel::operator()(boost::asio::cancellation_type type) const {
  if (type == boost::asio::cancellation_type::none) return;
  auto r = request.lock();
  if (!r) return;
  r->cancel_requested.store(true);  // a send that has not happened yet will not
  if (auto c = core.lock()) c->cancel(std::move(r));
}

std::shared_ptr<RedisSessionEngine> open_redis_session_engine(RedisStoreOptions options) {
  auto parsed = redis::parse_redis_url(options.url);
  if (!parsed.url) refuse(StoreErrc::invalid_argument, "session.redis_url: " + parsed.error);
  if (parsed.url->scheme == redis::Scheme::tls)
    refuse(StoreErrc::invalid_argument,
           "session.redis_url: rediss:// (TLS) is not supported by this build: hiredis 0.14 has "
           "no TLS. Use redis:// to a TLS tunnel on loopback (stunnel, spiped) or a private "
           "network");
  if (!redis::valid_prefix(options.prefix))
    refuse(StoreErrc::invalid_argument,
           "session.redis_prefix must be 1 to 64 bytes without braces, spaces or control "
           "characters");
  if (options.timeout <= std::chrono::milliseconds::zero())
    refuse(StoreErrc::invalid_argument, "session.redis_timeout must be larger than zero");
  return std::make_shared<RedisSessionEngine>(std::move(*parsed.url), std::move(options.prefix),
                                              options.timeout, std::move(options.executor));
}

}  // namespace gatehouse
