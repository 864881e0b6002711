#include "metrics/store_metrics.hpp"

#include <gatehouse/session/store_error.hpp>

#include <array>
#include <chrono>
#include <type_traits>

namespace gatehouse::metrics {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

enum Op : std::size_t {
  op_get,
  op_create,
  op_update,
  op_delete,
  op_query,
  op_delete_many,
  op_expire,
  op_list,
  kOps
};
constexpr std::array<std::string_view, kOps> kOpNames = {
    "get",           "create",           "update",         "delete",
    "get_by_filter", "delete_by_filter", "delete_expired", "list"};

std::string_view error_name(const boost::system::error_code& ec) {
  if (ec.category() != error_category_of<StoreErrc>()) return "other";
  switch (static_cast<StoreErrc>(ec.value())) {
    case StoreErrc::not_found:
      return "not_found";
    case StoreErrc::conflict:
      return "conflict";
    case StoreErrc::invalid_argument:
      return "invalid_argument";
    case StoreErrc::unavailable:
      return "unavailable";
    case StoreErrc::cancelled:
      return "cancelled";
    case StoreErrc::corrupt:
      return "corrupt";
    case StoreErrc::unsupported_version:
      return "unsupported_version";
  }
  return "other";
}

// The wrapped store's abilities and the histograms, resolved once per store.
struct Core {
  std::shared_ptr<UserSessionStore> store;
  std::shared_ptr<UserSessionStoreCleanup> cleanup;
  std::shared_ptr<UserSessionStoreListing> listing;
  std::shared_ptr<UserSessionStorePartitions> partitions;
  StoreMetricsOptions options;
  Registry* registry;
  std::array<Histogram*, kOps> durations{};
  Family<Counter>* errors = nullptr;
  Counter* cleanup_deleted = nullptr;

  Core(std::shared_ptr<UserSessionStore> inner, StoreMetricsOptions o, Registry& r)
      : store(std::move(inner)),
        cleanup(std::dynamic_pointer_cast<UserSessionStoreCleanup>(store)),
        listing(std::dynamic_pointer_cast<UserSessionStoreListing>(store)),
        partitions(std::dynamic_pointer_cast<UserSessionStorePartitions>(store)),
        options(std::move(o)),
        registry(&r) {
    auto& family =
        r.histogram_family("gatehouse_store_operation_duration_seconds",
                           "Session store operations by store and operation.", {"store", "op"});
    for (std::size_t op = 0; op < kOps; ++op)
      durations[op] = &family.with({options.store, kOpNames[op]});
    errors =
        &r.counter_family("gatehouse_store_errors_total",
                          "Session store operations that failed, by store, operation and error.",
                          {"store", "op", "error"});
    cleanup_deleted = &r.counter("gatehouse_cleanup_deleted_total",
                                 "Expired sessions removed by cleanup (scheduled, admin or CLI).");
  }

  template <class T>
  asio::awaitable<StoreResult<T>> timed(Op op, asio::awaitable<StoreResult<T>> call) {
    const auto start = Clock::now();
    auto result = co_await std::move(call);
    durations[op]->observe(Clock::now() - start);
    if (result.has_error())
      errors->with({options.store, kOpNames[op], error_name(result.error())}).inc();
    co_return result;
  }
};

class StorePart : public UserSessionStore {
 public:
  explicit StorePart(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  asio::awaitable<StoreResult<std::optional<UserSession>>> get_user_session(
      std::string key) override {
    return core_->timed(op_get, core_->store->get_user_session(std::move(key)));
  }
  asio::awaitable<StoreResult<void>> create_user_session(UserSession session) override {
    return core_->timed(op_create, core_->store->create_user_session(std::move(session)));
  }
  asio::awaitable<StoreResult<void>> update_user_session(std::string key,
                                                         UserSessionUpdate update) override {
    return core_->timed(op_update,
                        core_->store->update_user_session(std::move(key), std::move(update)));
  }
  asio::awaitable<StoreResult<void>> delete_user_session(std::string key) override {
    return core_->timed(op_delete, core_->store->delete_user_session(std::move(key)));
  }
  asio::awaitable<StoreResult<std::vector<UserSession>>> get_user_sessions(
      UserSessionsFilter filter) override {
    return core_->timed(op_query, core_->store->get_user_sessions(std::move(filter)));
  }
  asio::awaitable<StoreResult<std::size_t>> delete_user_sessions(
      UserSessionsFilter filter) override {
    return core_->timed(op_delete_many, core_->store->delete_user_sessions(std::move(filter)));
  }

 protected:
  std::shared_ptr<Core> core_;
};

class CleanupPart : public UserSessionStoreCleanup {
 public:
  explicit CleanupPart(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  asio::awaitable<StoreResult<std::size_t>> delete_expired_sessions(
      DeleteExpiredOptions options) override {
    auto call = core_->timed(op_expire, core_->cleanup->delete_expired_sessions(options));
    auto removed = co_await std::move(call);
    if (removed && core_->options.count_cleanup) core_->cleanup_deleted->inc(*removed);
    co_return removed;
  }

 private:
  std::shared_ptr<Core> core_;
};

class ListingPart : public UserSessionStoreListing {
 public:
  explicit ListingPart(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  asio::awaitable<StoreResult<UserSessionPage>> list_user_sessions(
      UserSessionPageRequest page) override {
    return core_->timed(op_list, core_->listing->list_user_sessions(std::move(page)));
  }

 private:
  std::shared_ptr<Core> core_;
};

class PartitionsPart : public UserSessionStorePartitions {
 public:
  explicit PartitionsPart(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  std::shared_ptr<UserSessionStore> open_partition(std::string partition) override {
    auto options = core_->options;
    options.count_cleanup = false;  // other partitions hold replay records and leases
    return instrument_store(core_->partitions->open_partition(std::move(partition)),
                            std::move(options), *core_->registry);
  }

 private:
  std::shared_ptr<Core> core_;
};

// Stands in for an ability the wrapped store lacks.
template <int N>
struct Absent {
  explicit Absent(const std::shared_ptr<Core>&) {}
};

template <bool C, bool L, bool P>
class Metered final : public StorePart,
                      public std::conditional_t<C, CleanupPart, Absent<1>>,
                      public std::conditional_t<L, ListingPart, Absent<2>>,
                      public std::conditional_t<P, PartitionsPart, Absent<3>> {
 public:
  explicit Metered(const std::shared_ptr<Core>& core)
      : StorePart(core),
        std::conditional_t<C, CleanupPart, Absent<1>>(core),
        std::conditional_t<L, ListingPart, Absent<2>>(core),
        std::conditional_t<P, PartitionsPart, Absent<3>>(core) {}
};

template <bool C, bool L>
std::shared_ptr<UserSessionStore> make(const std::shared_ptr<Core>& core) {
  if (core->partitions) return std::make_shared<Metered<C, L, true>>(core);
  return std::make_shared<Metered<C, L, false>>(core);
}

}  // namespace

std::shared_ptr<UserSessionStore> instrument_store(std::shared_ptr<UserSessionStore> inner,
                                                   StoreMetricsOptions options,
                                                   Registry& registry) {
  if (!inner) return nullptr;
  auto core = std::make_shared<Core>(std::move(inner), std::move(options), registry);
  if (core->cleanup) return core->listing ? make<true, true>(core) : make<true, false>(core);
  return core->listing ? make<false, true>(core) : make<false, false>(core);
}

}  // namespace gatehouse::metrics
