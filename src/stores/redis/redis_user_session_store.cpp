#include <gatehouse/session/store_support.hpp>
#include <gatehouse/session/user_session_validation.hpp>
#include <gatehouse/stores/redis_user_session_store.hpp>

#include "stores/redis/redis_engine.hpp"
#include "stores/redis/redis_layout.hpp"
#include "stores/redis/redis_scripts.hpp"

namespace gatehouse {
namespace {

using redis::Reply;

// An error reply the engine did not handle: foreign data under our keys is corruption, the
// rest (out of memory, a script error, a misconfigured server) means the store cannot serve.
boost::system::error_code error_of(const Reply& reply) {
  return make_error_code(reply.is_error("WRONGTYPE") ? StoreErrc::corrupt : StoreErrc::unavailable);
}

StoreResult<long long> integer_of(const StoreResult<Reply>& reply) {
  if (!reply) return reply.error();
  if (reply->is_error()) return error_of(*reply);
  if (reply->type != Reply::Type::integer) return make_error_code(StoreErrc::corrupt);
  return reply->integer;
}

// A script call on this partition: KEYS[1] = B k (it routes the call), ARGV[1] = B.
redis::Command script_call(const redis::Script& script, const std::string& base, std::uint16_t slot,
                           bool idempotent) {
  redis::Command command{.script = &script, .slot = slot, .idempotent = idempotent};
  command.args = {"1", base + "k", base};
  return command;
}

}  // namespace

RedisUserSessionStore::RedisUserSessionStore(const UserSessionStoreContext& context,
                                             RedisStoreOptions options)
    : RedisUserSessionStore(open_redis_session_engine([&] {
                              if (!options.executor) options.executor = context.executor;
                              return std::move(options);
                            }()),
                            context.partition, context.clock) {}

RedisUserSessionStore::RedisUserSessionStore(std::shared_ptr<RedisSessionEngine> engine,
                                             std::string partition, Clock clock)
    : engine_(std::move(engine)),
      partition_(std::move(partition)),
      clock_(clock ? std::move(clock) : system_clock()) {
  if (!engine_)
    throw StoreOpenError(make_error_code(StoreErrc::invalid_argument), "no Redis session engine");
  if (validate_partition_key(partition_))
    throw StoreOpenError(make_error_code(StoreErrc::invalid_argument),
                         "session partition is longer than 200 bytes");
  base_ = redis::partition_base(engine_->prefix(), partition_);
  slot_ = redis::key_slot(base_);
}

RedisUserSessionStore::~RedisUserSessionStore() = default;

std::shared_ptr<UserSessionStore> RedisUserSessionStore::open_partition(std::string partition) {
  return std::make_shared<RedisUserSessionStore>(engine_, std::move(partition), clock_);
}

RedisStoreStatistics RedisUserSessionStore::statistics() const {
  return engine_->statistics();
}

boost::asio::awaitable<StoreResult<std::optional<UserSession>>>
RedisUserSessionStore::get_user_session(std::string key) {
  if (auto ec = validate_key(key)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  redis::Command command{
      .args = {"HGETALL", redis::session_key(base_, key)}, .slot = slot_, .idempotent = true};
  auto reply = co_await engine_->execute(std::move(command));
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return error_of(*reply);
  co_return redis::decode_session(std::move(key), std::move(*reply), partition_);
}

boost::asio::awaitable<StoreResult<void>> RedisUserSessionStore::create_user_session(
    UserSession session) {
  if (auto ec = validate_new_session(session, partition_)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto command = script_call(redis::scripts().create, base_, slot_, false);
  command.args.push_back(session.key);
  redis::append_session_arguments(command.args,
                                  {session.subject_id, session.session_id, session.created,
                                   session.renewed, session.expires, session.ticket},
                                  clock_());
  const auto outcome = integer_of(co_await engine_->execute(std::move(command)));
  if (!outcome) co_return outcome.error();
  if (*outcome != 0) co_return StoreErrc::conflict;  // 1: the key, 2: the session id
  co_return StoreResult<void>{};
}

boost::asio::awaitable<StoreResult<void>> RedisUserSessionStore::update_user_session(
    std::string key, UserSessionUpdate update) {
  if (auto ec = validate_key(key)) co_return ec;
  if (auto ec = validate_update(update)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto command = script_call(redis::scripts().update, base_, slot_, false);
  command.args.push_back(std::move(key));
  redis::append_session_arguments(command.args,
                                  {update.subject_id, update.session_id, update.created,
                                   update.renewed, update.expires, update.ticket},
                                  clock_());
  command.args.push_back(update.expected_version ? std::to_string(*update.expected_version) : "");
  const auto outcome = integer_of(co_await engine_->execute(std::move(command)));
  if (!outcome) co_return outcome.error();
  if (*outcome == -1) co_return StoreErrc::not_found;
  if (*outcome < 0) co_return StoreErrc::conflict;  // -2: the version, -3: the session id
  co_return StoreResult<void>{};
}

boost::asio::awaitable<StoreResult<void>> RedisUserSessionStore::delete_user_session(
    std::string key) {
  if (auto ec = validate_key(key)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto command = script_call(redis::scripts().remove, base_, slot_, false);
  command.args.push_back(std::move(key));
  const auto outcome = integer_of(co_await engine_->execute(std::move(command)));
  if (!outcome) co_return outcome.error();
  co_return StoreResult<void>{};
}

boost::asio::awaitable<StoreResult<std::vector<UserSession>>>
RedisUserSessionStore::get_user_sessions(UserSessionsFilter filter) {
  if (auto ec = validate_filter(filter)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  // Its only writes prune index entries of sessions Redis has expired: safe to send again.
  auto command = script_call(redis::scripts().query, base_, slot_, true);
  command.args.push_back(filter.subject_id.value_or(""));
  command.args.push_back(filter.session_id.value_or(""));
  auto reply = co_await engine_->execute(std::move(command));
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return error_of(*reply);
  co_return redis::decode_sessions(std::move(*reply), partition_);
}

boost::asio::awaitable<StoreResult<std::size_t>> RedisUserSessionStore::delete_user_sessions(
    UserSessionsFilter filter) {
  if (auto ec = validate_filter(filter)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto command = script_call(redis::scripts().remove_matching, base_, slot_, false);
  command.args.push_back(filter.subject_id.value_or(""));
  command.args.push_back(filter.session_id.value_or(""));
  const auto outcome = integer_of(co_await engine_->execute(std::move(command)));
  if (!outcome) co_return outcome.error();
  co_return static_cast<std::size_t>(*outcome);
}

boost::asio::awaitable<StoreResult<std::size_t>> RedisUserSessionStore::delete_expired_sessions(
    DeleteExpiredOptions options) {
  const auto now = std::to_string(clock_().time_since_epoch().count());
  const bool report = static_cast<bool>(options.on_removed);
  // One script per batch: other commands on the node run between batches.
  auto batch = [this, now, limit = std::to_string(options.batch_size),
                report]() -> boost::asio::awaitable<StoreResult<ExpiredBatch>> {
    const auto& script = report ? redis::scripts().cleanup_report : redis::scripts().cleanup;
    auto command = script_call(script, base_, slot_, false);
    command.args.push_back(now);
    command.args.push_back(limit);
    auto reply = co_await engine_->execute(std::move(command));
    ExpiredBatch out;
    if (!report) {
      const auto count = integer_of(reply);
      if (!count) co_return count.error();
      out.count = static_cast<std::size_t>(*count);
      co_return out;
    }
    if (!reply) co_return reply.error();
    if (reply->is_error()) co_return error_of(*reply);
    auto removed = redis::decode_expired(std::move(*reply));
    if (!removed) co_return removed.error();
    out.sessions = std::move(*removed);
    out.count = out.sessions.size();
    co_return out;
  };
  co_return co_await remove_expired_in_batches(std::move(options), std::move(batch));
}

boost::asio::awaitable<StoreResult<UserSessionPage>> RedisUserSessionStore::list_user_sessions(
    UserSessionPageRequest page) {
  if (auto ec = validate_page_request(page)) co_return ec;
  if (co_await cancellation_requested()) co_return StoreErrc::cancelled;
  auto command = script_call(redis::scripts().list, base_, slot_, true);
  command.args.push_back(page.after.value_or(""));
  // One session more than asked tells whether another page follows.
  command.args.push_back(std::to_string(page.limit + 1));
  auto reply = co_await engine_->execute(std::move(command));
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return error_of(*reply);
  auto sessions = redis::decode_sessions(std::move(*reply), partition_);
  if (!sessions) co_return sessions.error();
  UserSessionPage out;
  out.sessions = std::move(*sessions);
  if (out.sessions.size() > page.limit) {
    out.sessions.resize(page.limit);
    out.next = out.sessions.back().key;
  }
  co_return out;
}

}  // namespace gatehouse
