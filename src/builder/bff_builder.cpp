#include <gatehouse/bff_builder.hpp>
#include <gatehouse/stores/memory_user_session_store.hpp>
#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include <stdexcept>

namespace gatehouse {

BffBuilder& BffBuilder::partition(std::string partition) {
  context_.partition = std::move(partition);
  return *this;
}

BffBuilder& BffBuilder::clock(Clock clock) {
  context_.clock = clock ? std::move(clock) : system_clock();
  return *this;
}

BffBuilder& BffBuilder::cleanup(CleanupServiceOptions options) {
  cleanup_ = options;
  return *this;
}

BffBuilder& BffBuilder::add_server_side_sessions(std::string sqlite_path) {
  return add_server_side_sessions<SqliteUserSessionStore>(std::move(sqlite_path));
}

BffBuilder& BffBuilder::add_in_memory_server_side_sessions() {
  return add_server_side_sessions<InMemoryUserSessionStore>();
}

BffServices BffBuilder::build() const {
  if (!factory_) throw std::logic_error("no user session store: call add_server_side_sessions()");
  BffServices services;
  services.context = context_;
  services.store = factory_(context_);
  services.cleanup = std::dynamic_pointer_cast<UserSessionStoreCleanup>(services.store);
  services.cleanup_options = cleanup_;
  services.store_for_partition = [factory = factory_, context = context_](std::string partition) {
    auto other = context;
    other.partition = std::move(partition);
    return factory(other);
  };
  return services;
}

}  // namespace gatehouse
