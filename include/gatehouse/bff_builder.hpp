// The counterpart of `services.AddBff().AddServerSideSessions<YourStore>()`: an application
// enables server-side sessions with the embedded default store or with its own.
//
//   gatehouse::BffBuilder builder;
//   builder.partition("my-app").add_server_side_sessions<MyStore>(args...);
//   auto services = builder.build();
//
// A store whose constructor takes `const UserSessionStoreContext&` first gets the builder's
// partition and clock there, followed by `args...`; otherwise it is built from `args...` alone.
// The built-in stores register the same way:
//   builder.add_server_side_sessions<gatehouse::SqliteUserSessionStore>("sessions.db");
//   builder.add_server_side_sessions<gatehouse::InMemoryUserSessionStore>();
// A store that also implements UserSessionStoreCleanup is used for expiry cleanup, one that
// implements UserSessionStoreListing for operators' listings, and one that implements
// UserSessionStorePartitions serves the gateway's other partitions from the same engine.
#pragma once

#include <gatehouse/session/cleanup_service.hpp>
#include <gatehouse/session/user_session_store.hpp>

#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace gatehouse {

struct PostgresStoreOptions;
struct RedisStoreOptions;

// An endpoint of the embedding program's own, served by the gateway behind the same checks as an
// [[api]] route: the session cookie (401 without a live session), X-CSRF: 1 (401 without, unless
// switched off), and a fresh access token of the user (refreshed once across instances when it is
// about to expire). Its body is read whole (at most server.max_body).
struct LocalApiRequest {
  std::string method;
  std::string path;   // percent-decoded, the whole path (the prefix included)
  std::string query;  // raw, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // minus Cookie and Authorization
  std::string body;
  std::string subject;       // the session's `sub`
  std::string claims_json;   // the ID token's claims, a JSON object
  std::string access_token;  // the user's (for `audience` when set)
  std::string token_type;    // "Bearer" or "DPoP"
};

struct LocalApiResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct LocalApiOptions {
  bool csrf = true;                     // require X-CSRF: 1
  std::optional<std::string> audience;  // resource indicator (RFC 8707) of the token
};

// Runs on the io thread that took the request; may co_await anything. An exception is a 500.
using LocalApiHandler = std::function<boost::asio::awaitable<LocalApiResponse>(LocalApiRequest)>;

struct LocalApi {
  std::string path;  // prefix, matched on a path-segment boundary like [[api]] paths
  LocalApiHandler handler;
  LocalApiOptions options;
};

struct BffServices {
  UserSessionStoreContext context;
  std::shared_ptr<UserSessionStore> store;
  std::shared_ptr<UserSessionStoreCleanup> cleanup;  // null when the store has none
  std::shared_ptr<UserSessionStoreListing> listing;  // null when the store cannot list
  CleanupServiceOptions cleanup_options;
  // The same store bound to another partition (the gateway keeps its back-channel logout replay
  // records there): through UserSessionStorePartitions when the store implements it, so both
  // share one engine; otherwise another instance from the factory. A store that ignores the
  // context (built from its own arguments alone) gets those arguments again, so it stays in its
  // own partition.
  std::function<std::shared_ptr<UserSessionStore>(std::string partition)> store_for_partition;
  std::vector<LocalApi> local_apis;  // add_local_api()
};

class BffBuilder {
 public:
  BffBuilder& partition(std::string partition);
  BffBuilder& clock(Clock clock);
  BffBuilder& cleanup(CleanupServiceOptions options);
  // The stores' UserSessionStoreContext::executor (bff::Gateway sets its io_context's).
  BffBuilder& executor(boost::asio::any_io_executor executor);

  // The shipped stores by name. Each is defined in its store's library (link
  // gatehouse_store_sqlite, gatehouse_store_postgres or gatehouse_store_redis for the one you
  // call), so the builder itself links none of them.
  BffBuilder& add_server_side_sessions(std::string sqlite_path);
  BffBuilder& add_postgres_server_side_sessions(const PostgresStoreOptions& options);
  BffBuilder& add_redis_server_side_sessions(const RedisStoreOptions& options);
  // Serves `handler` under `path` behind the session and CSRF checks (see LocalApiRequest). The
  // gateway refuses to start when a path is not an absolute path or shadows its own endpoints
  // or an [[api]] route.
  BffBuilder& add_local_api(std::string path, LocalApiHandler handler,
                            LocalApiOptions options = {});

  template <std::derived_from<UserSessionStore> Store, class... Args>
  BffBuilder& add_server_side_sessions(Args&&... args) {
    factory_ = [captured = std::make_tuple(std::forward<Args>(args)...)](
                   const UserSessionStoreContext& context) -> std::shared_ptr<UserSessionStore> {
      return std::apply(
          [&context](const auto&... a) -> std::shared_ptr<UserSessionStore> {
            if constexpr (std::is_constructible_v<Store, const UserSessionStoreContext&,
                                                  const std::decay_t<Args>&...>)
              return std::make_shared<Store>(context, a...);
            else
              return std::make_shared<Store>(a...);
          },
          captured);
    };
    return *this;
  }

  bool has_store() const { return static_cast<bool>(factory_); }

  // Builds the store (throws what its constructor throws, e.g. StoreOpenError) and the rest.
  // Throws std::logic_error when no store was added.
  BffServices build() const;

 private:
  UserSessionStoreContext context_{"", system_clock()};
  CleanupServiceOptions cleanup_;
  std::vector<LocalApi> local_apis_;
  std::function<std::shared_ptr<UserSessionStore>(const UserSessionStoreContext&)> factory_;
};

}  // namespace gatehouse
