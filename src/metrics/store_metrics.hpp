// A decorating UserSessionStore that times every operation of the store it wraps
// (gatehouse_store_operation_duration_seconds{store,op}) and counts what failed
// (gatehouse_store_errors_total{store,op,error}; error is the StoreErrc name, "other" for codes of
// another category). It implements exactly the optional abilities the wrapped store implements
// (Cleanup, Listing, Partitions), so callers that probe for them with dynamic_pointer_cast see
// the same store; partitions it opens are wrapped too. With `count_cleanup`, what
// delete_expired_sessions removes is added to gatehouse_cleanup_deleted_total.
#pragma once

#include "metrics/metrics.hpp"

#include <gatehouse/session/user_session_store.hpp>

#include <memory>
#include <string>

namespace gatehouse::metrics {

struct StoreMetricsOptions {
  std::string store = "custom";  // the `store` label: sqlite, memory, postgres, redis or custom
  bool count_cleanup = false;    // this partition's cleanup is the sessions' cleanup
};

// `inner` null: returns null.
std::shared_ptr<UserSessionStore> instrument_store(std::shared_ptr<UserSessionStore> inner,
                                                   StoreMetricsOptions options,
                                                   Registry& registry = default_registry());

}  // namespace gatehouse::metrics
