#include "tickets/replay_cache.hpp"

#include <gatehouse/session/user_session_validation.hpp>

#include "crypto/base64.hpp"
#include "crypto/digest.hpp"
#include "tickets/partitions.hpp"

namespace gatehouse::tickets {
namespace {

constexpr std::string_view record_subject = "gatehouse:replay-record";

// Issuer and id are hashed: the key has a fixed size whatever the provider sends, and a line
// break in either cannot make two different pairs collide.
std::string record_key(std::string_view issuer, std::string_view id) {
  const auto issuer_hash = crypto::sha256(issuer);
  return "jti:" + crypto::base64url_encode(crypto::sha256(issuer_hash + std::string(id)));
}

}  // namespace

std::string replay_partition(std::string_view session_partition) {
  return derived_partition(session_partition, "logout-jti");
}

ReplayCache::ReplayCache(std::shared_ptr<UserSessionStore> store, Clock clock)
    : store_(std::move(store)), clock_(clock ? std::move(clock) : system_clock()) {}

boost::asio::awaitable<StoreResult<bool>> ReplayCache::first_use(std::string_view issuer,
                                                                 std::string_view id,
                                                                 Timestamp until) {
  const auto now = clock_();
  UserSession record;
  record.key = record_key(issuer, id);
  record.subject_id = std::string(record_subject);
  record.created = now;
  record.renewed = now;
  record.expires = until;
  auto created = co_await store_->create_user_session(std::move(record));
  if (created) co_return true;
  if (created.error() == StoreErrc::conflict) co_return false;
  // Spelled out: an error_code also converts to bool.
  co_return StoreResult<bool>(boost::system::in_place_error, created.error());
}

boost::asio::awaitable<StoreResult<void>> ReplayCache::forget(std::string_view issuer,
                                                              std::string_view id) {
  co_return co_await store_->delete_user_session(record_key(issuer, id));
}

}  // namespace gatehouse::tickets
