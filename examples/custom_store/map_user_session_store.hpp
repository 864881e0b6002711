// An example of a store an application writes itself: sessions in a std::map guarded by a mutex.
// It shows the whole contract a store must keep, and two of the optional abilities (cleanup and
// listing); register it with
//   builder.add_server_side_sessions<example::MapUserSessionStore>(backend);
#pragma once

#include <gatehouse/session/user_session_store.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace example {

// Several stores (one per partition) may share one backend, as apps share one database.
struct MapBackend {
  std::mutex mutex;
  std::map<std::pair<std::string, std::string>, gatehouse::UserSession> rows;  // (partition, key)
};

class MapUserSessionStore final : public gatehouse::UserSessionStore,
                                  public gatehouse::UserSessionStoreCleanup,
                                  public gatehouse::UserSessionStoreListing {
 public:
  // The builder passes its context (partition, clock) first, then our own arguments.
  MapUserSessionStore(const gatehouse::UserSessionStoreContext& context,
                      std::shared_ptr<MapBackend> backend);

  boost::asio::awaitable<gatehouse::StoreResult<std::optional<gatehouse::UserSession>>>
  get_user_session(std::string key) override;
  boost::asio::awaitable<gatehouse::StoreResult<void>> create_user_session(
      gatehouse::UserSession session) override;
  boost::asio::awaitable<gatehouse::StoreResult<void>> update_user_session(
      std::string key, gatehouse::UserSessionUpdate update) override;
  boost::asio::awaitable<gatehouse::StoreResult<void>> delete_user_session(
      std::string key) override;
  boost::asio::awaitable<gatehouse::StoreResult<std::vector<gatehouse::UserSession>>>
  get_user_sessions(gatehouse::UserSessionsFilter filter) override;
  boost::asio::awaitable<gatehouse::StoreResult<std::size_t>> delete_user_sessions(
      gatehouse::UserSessionsFilter filter) override;
  boost::asio::awaitable<gatehouse::StoreResult<std::size_t>> delete_expired_sessions(
      gatehouse::DeleteExpiredOptions options) override;
  boost::asio::awaitable<gatehouse::StoreResult<gatehouse::UserSessionPage>> list_user_sessions(
      gatehouse::UserSessionPageRequest page) override;

 private:
  bool matches(const gatehouse::UserSession& s, const gatehouse::UserSessionsFilter& f) const;
  bool sid_taken(const std::optional<std::string>& sid, const std::string& except_key) const;

  gatehouse::UserSessionStoreContext context_;
  std::shared_ptr<MapBackend> backend_;
};

}  // namespace example
