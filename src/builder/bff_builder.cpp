#include <gatehouse/bff_builder.hpp>

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

BffBuilder& BffBuilder::executor(boost::asio::any_io_executor executor) {
  context_.executor = std::move(executor);
  return *this;
}

BffBuilder& BffBuilder::cleanup(CleanupServiceOptions options) {
  cleanup_ = options;
  return *this;
}

BffBuilder& BffBuilder::add_local_api(std::string path, LocalApiHandler handler,
                                      LocalApiOptions options) {
  if (!handler) throw std::invalid_argument("add_local_api: no handler for " + path);
  local_apis_.push_back({std::move(path), std::move(handler), std::move(options)});
  return *this;
}

BffServices BffBuilder::build() const {
  if (!factory_) throw std::logic_error("no user session store: call add_server_side_sessions()");
  BffServices services;
  services.context = context_;
  services.store = factory_(context_);
  services.cleanup = std::dynamic_pointer_cast<UserSessionStoreCleanup>(services.store);
  services.listing = std::dynamic_pointer_cast<UserSessionStoreListing>(services.store);
  services.cleanup_options = cleanup_;
  services.local_apis = local_apis_;
  // A weak reference: the function may outlive the store, and must not keep its engine open.
  std::weak_ptr<UserSessionStorePartitions> partitions =
      std::dynamic_pointer_cast<UserSessionStorePartitions>(services.store);
  services.store_for_partition = [factory = factory_, context = context_,
                                  partitions](std::string partition) {
    if (auto shared = partitions.lock()) return shared->open_partition(std::move(partition));
    auto other = context;
    other.partition = std::move(partition);
    return factory(other);
  };
  return services;
}

}  // namespace gatehouse
