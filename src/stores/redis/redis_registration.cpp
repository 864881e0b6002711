// BffBuilder::add_redis_server_side_sessions(options): the Redis store by name, defined here so
// that only programs linking gatehouse_store_redis carry it.
#include <gatehouse/bff_builder.hpp>
#include <gatehouse/stores/redis_user_session_store.hpp>

namespace gatehouse {

BffBuilder& BffBuilder::add_redis_server_side_sessions(const RedisStoreOptions& options) {
  return add_server_side_sessions<RedisUserSessionStore>(options);
}

}  // namespace gatehouse
