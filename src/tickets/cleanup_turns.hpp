// Cleanup rounds taken in turns by the instances sharing a store: the turn is a lease (see
// lease_store.hpp) on "cleanup:<partition>" for one cleanup interval, so within each interval
// one instance cleans and the others skip. The lease is left to run out rather than released, so
// an instance whose timer fires a moment later does not clean again. A round longer than the
// interval may overlap the next instance's: harmless, cleanup deletes only what is expired.
#pragma once

#include <gatehouse/session/cleanup_service.hpp>

#include "tickets/lease_store.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace gatehouse::tickets {

class LeaseCleanupTurns final : public CleanupTurns {
 public:
  LeaseCleanupTurns(std::shared_ptr<LeaseStore> leases, std::string partition,
                    std::chrono::milliseconds interval);

  boost::asio::awaitable<bool> take_turn() override;

 private:
  std::shared_ptr<LeaseStore> leases_;
  std::string key_;
  std::chrono::milliseconds interval_;
};

}  // namespace gatehouse::tickets
