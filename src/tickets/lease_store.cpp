#include "tickets/lease_store.hpp"

#include "crypto/random.hpp"
#include "tickets/partitions.hpp"

namespace gatehouse::tickets {
namespace {

constexpr std::string_view lease_subject = "gatehouse:lease";
constexpr int max_rounds = 4;  // create, or take over an expired lease; each may lose a race

UserSessionUpdate renewal(const Lease& lease, Timestamp now, Timestamp expires) {
  return {std::string(lease_subject), std::nullopt, now, now, expires, lease.owner, lease.version};
}

}  // namespace

std::string lease_partition(std::string_view session_partition) {
  return derived_partition(session_partition, "refresh-lease");
}

LeaseStore::LeaseStore(std::shared_ptr<UserSessionStore> store, Clock clock)
    : store_(std::move(store)), clock_(clock ? std::move(clock) : system_clock()) {}

boost::asio::awaitable<StoreResult<std::optional<Lease>>> LeaseStore::try_acquire(
    std::string key, std::chrono::milliseconds ttl) {
  using Held = std::optional<Lease>;
  Lease lease{key, crypto::random_token(16), 1, {}};
  for (int round = 0; round < max_rounds; ++round) {
    const auto now = clock_();
    lease.expires = now + ttl;
    UserSession record{.key = key,
                       .subject_id = std::string(lease_subject),
                       .created = now,
                       .renewed = now,
                       .expires = lease.expires,
                       .ticket = lease.owner};
    auto created = co_await store_->create_user_session(record);
    if (created) co_return Held{lease};
    if (created.error() != StoreErrc::conflict) co_return created.error();

    auto current = co_await store_->get_user_session(key);
    if (!current) co_return current.error();
    if (!*current) continue;  // released and cleaned up meanwhile: create again
    const auto& held = **current;
    if (held.expires && *held.expires > now) co_return Held{};  // someone holds it
    // Expired (its holder finished or died): take it over, unless another waiter is quicker.
    Lease taken{key, lease.owner, held.version, lease.expires};
    auto update = renewal(taken, now, lease.expires);
    auto took = co_await store_->update_user_session(key, update);
    if (took) {
      taken.version = held.version + 1;
      co_return Held{taken};
    }
    if (took.error() != StoreErrc::conflict && took.error() != StoreErrc::not_found)
      co_return took.error();
  }
  co_return Held{};  // lost every race: someone else holds it now
}

boost::asio::awaitable<StoreResult<bool>> LeaseStore::renew(Lease& lease,
                                                            std::chrono::milliseconds ttl) {
  const auto now = clock_();
  auto update = renewal(lease, now, now + ttl);
  auto renewed = co_await store_->update_user_session(lease.key, update);
  if (renewed) {
    ++lease.version;
    lease.expires = now + ttl;
    co_return true;
  }
  if (renewed.error() == StoreErrc::conflict || renewed.error() == StoreErrc::not_found)
    co_return false;
  co_return StoreResult<bool>(boost::system::in_place_error, renewed.error());
}

boost::asio::awaitable<void> LeaseStore::release(Lease& lease) {
  const auto now = clock_();
  // Expired now rather than deleted: a delete is not conditional, and could remove the lease of
  // a holder who took over ours after it ran out. The partition's cleanup removes the record.
  auto update = renewal(lease, now, now - std::chrono::milliseconds(1));
  if (co_await store_->update_user_session(lease.key, update)) ++lease.version;
}

}  // namespace gatehouse::tickets
