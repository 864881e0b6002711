#include "bff/gateway.hpp"

#include "admin/admin_api.hpp"
#include "audit/audit_log.hpp"
#include "bff/bff_endpoints.hpp"
#include "bff/cookies.hpp"
#include "bff/local_apis.hpp"
#include "bff/pending_logouts.hpp"
#include "bff/request_observer.hpp"
#include "bff/session_audit.hpp"
#include "crypto/key_ring_watch.hpp"
#include "events/session_events.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "http/trusted_proxies.hpp"
#include "metrics/metrics.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/session_metrics.hpp"
#include "metrics/store_metrics.hpp"
#include "posix/thread_name.hpp"
#include "proxy/api_proxy.hpp"
#include "proxy/token_manager.hpp"
#include "stores/configured_store.hpp"
#include "tickets/cleanup_turns.hpp"
#include "tickets/expired_events.hpp"
#include "tickets/lease_store.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <thread>

namespace gatehouse::bff {
namespace {

oidc::ClientSettings oidc_settings(const config::Config& c) {
  oidc::ClientSettings s;
  s.authority = c.oidc.authority;
  s.client_id = c.oidc.client_id;
  s.client_secret = c.oidc.client_secret;
  s.scopes = c.oidc.scopes;
  s.token_auth = c.oidc.token_auth;
  s.redirect_uri = c.server.redirect_uri();
  s.clock_skew = std::chrono::duration_cast<std::chrono::seconds>(c.oidc.clock_skew);
  s.dpop = c.oidc.dpop;
  return s;
}

// [server] trusted_proxies, checked again for embedders that skipped config::validate.
std::shared_ptr<const http::TrustedProxies> trusted_proxies(const config::Config& c) {
  if (c.server.trusted_proxies.empty()) return nullptr;
  try {
    return std::make_shared<const http::TrustedProxies>(c.server.trusted_proxies);
  } catch (const std::invalid_argument& e) {
    throw StartupError(std::string("server.trusted_proxies: ") + e.what());
  }
}

http::ServerOptions server_options(const config::Config& c,
                                   std::shared_ptr<http::RequestObserver> observer) {
  http::ServerOptions o;
  o.observer = std::move(observer);
  o.listen = {c.server.listen};
  o.max_body_bytes = c.server.max_body;
  for (const auto& route : c.api)
    o.max_streamed_body_bytes = std::max(o.max_streamed_body_bytes, route.max_body.value_or(0));
  o.read_timeout = c.server.read_timeout;
  o.idle_timeout = c.server.idle_timeout;
  if (c.server.tls_cert && c.server.tls_key)
    o.tls = http::TlsFiles{*c.server.tls_cert, *c.server.tls_key};
  o.trusted_proxies = trusted_proxies(c);
  return o;
}

// Operators and their scripts: small requests, few connections, plain HTTP on loopback.
http::ServerOptions admin_server_options(const config::Config& c,
                                         std::shared_ptr<http::RequestObserver> observer) {
  http::ServerOptions o;
  o.observer = std::move(observer);
  o.listen = {c.admin.listen};
  o.max_body_bytes = 16 * 1024;
  o.max_connections = 64;
  o.read_timeout = c.server.read_timeout;
  o.idle_timeout = c.server.idle_timeout;
  o.trusted_proxies = trusted_proxies(c);  // an operator's address, behind the same proxies
  return o;
}

// GET /metrics without auth, nothing else: what a scraper on a private network needs.
http::ServerOptions metrics_server_options(const config::Config& c,
                                           std::shared_ptr<http::RequestObserver> observer) {
  auto o = admin_server_options(c, std::move(observer));
  o.listen = {c.metrics.listen};
  o.max_body_bytes = 1024;
  return o;
}

boost::asio::awaitable<http::Response> serve_metrics(http::Request& request) {
  if (request.path != "/metrics") co_return http::text(404, "not found\n");
  if (request.method != "GET" && request.method != "HEAD") {
    auto r = http::text(405, "method not allowed\n");
    r.set_header("Allow", "GET");
    co_return r;
  }
  auto r = http::text(200, metrics::default_registry().render());
  r.set_header("Content-Type", std::string(metrics::kContentType));
  r.set_header("Cache-Control", "no-store");
  co_return r;
}

// Every store call is timed and its failures counted; the stores keep their abilities.
void instrument_stores(BffServices& s, const std::string& label) {
  s.store = metrics::instrument_store(std::move(s.store), {.store = label, .count_cleanup = true});
  if (s.cleanup) s.cleanup = std::dynamic_pointer_cast<UserSessionStoreCleanup>(s.store);
  if (s.listing) s.listing = std::dynamic_pointer_cast<UserSessionStoreListing>(s.store);
  s.store_for_partition = [open = std::move(s.store_for_partition), label](std::string partition) {
    return metrics::instrument_store(open(std::move(partition)), {.store = label});
  };
}

// An operator's revoke through the admin API: the sessions end, and so do their refresh tokens
// at the provider (waiting as briefly as the BFF's own logouts do).
boost::asio::awaitable<StoreResult<std::size_t>> end_and_revoke(
    std::shared_ptr<tickets::TicketStore> ticket_store, std::shared_ptr<TokenRevoker> revoker,
    std::shared_ptr<const events::SessionEvents> events, UserSessionsFilter filter) {
  auto ended =
      co_await ticket_store->end_sessions(filter, revoker->enabled(), listening(events.get()));
  if (!ended) co_return ended.error();
  // The admin API's admin_action event carries the operator's address; these name the sessions.
  publish_ended(events.get(), *ended, filter, events::EndReason::admin, events::Actor::admin,
                nullptr);
  if (!ended->refresh_tokens.empty()) {
    auto outcome =
        co_await revoker->revoke(std::move(ended->refresh_tokens), std::chrono::milliseconds(1000));
    spdlog::info(
        "admin API: refresh tokens of ended sessions: {} revoked, {} failed, {} still "
        "running",
        outcome.revoked, outcome.failed, outcome.pending);
  }
  co_return ended->count;
}

// The one session an operator picked by id (the admin page's "Revoke"): it ends, and so does its
// refresh token at the provider.
boost::asio::awaitable<StoreResult<std::size_t>> end_one_and_revoke(
    std::shared_ptr<tickets::TicketStore> ticket_store, std::shared_ptr<TokenRevoker> revoker,
    std::shared_ptr<const events::SessionEvents> events, UserSession session) {
  std::vector<std::string> refresh_tokens;
  if (revoker->enabled())
    if (auto token = ticket_store->refresh_token(session))
      refresh_tokens.push_back(std::move(*token));
  auto removed = co_await ticket_store->remove(session.key);
  if (!removed) co_return removed.error();
  publish_session(events.get(), events::EventKind::session_ended,
                  {session.key, session.subject_id, session.session_id}, nullptr,
                  events::EndReason::admin, events::Actor::admin);
  if (!refresh_tokens.empty()) {
    auto outcome =
        co_await revoker->revoke(std::move(refresh_tokens), std::chrono::milliseconds(1000));
    spdlog::info(
        "admin API: refresh token of the ended session: {} revoked, {} failed, {} still running",
        outcome.revoked, outcome.failed, outcome.pending);
  }
  co_return static_cast<std::size_t>(1);
}

// The credentials of [[api]] routes and local APIs: refreshed single-flight through leases in a
// partition of their own of the session store.
std::shared_ptr<proxy::TokenManager> make_token_manager(
    const config::Config& c, std::shared_ptr<tickets::TicketStore> ticket_store,
    std::shared_ptr<oidc::OidcClient> oidc, std::shared_ptr<tickets::LeaseStore> leases,
    std::shared_ptr<const events::SessionEvents> events) {
  return std::make_shared<proxy::TokenManager>(
      std::move(oidc), std::move(ticket_store), std::move(leases),
      proxy::TokenManagerOptions{.refresh_margin = c.oidc.refresh_margin,
                                 .events = std::move(events)});
}

std::unique_ptr<proxy::ApiProxy> make_api_proxy(const config::Config& c,
                                                const CookiePolicy& cookies,
                                                std::shared_ptr<tickets::TicketStore> ticket_store,
                                                std::shared_ptr<proxy::TokenSource> tokens) {
  proxy::ApiProxyOptions options{
      .public_origin = c.server.public_origin,
      .session_cookie = c.session.cookie_name,
      .clear_session_cookie = clear_cookie(cookies, cookies.session_name),
      .max_body = c.server.max_body};
  try {
    return std::make_unique<proxy::ApiProxy>(c.api, std::move(options), std::move(ticket_store),
                                             std::move(tokens));
  } catch (const std::exception& e) {
    throw StartupError(e.what());
  }
}

// Paths an embedding program's local API may not take.
std::vector<std::string> reserved_paths(const config::Config& c) {
  std::vector<std::string> out{c.bff.base_path, "/signin-oidc", "/healthz", "/readyz"};
  for (const auto& route : c.api) out.push_back(route.path);
  return out;
}

}  // namespace

// One io_context per io thread, each run by its one thread (concurrency hint 1: Asio keeps the
// thread's own work in a private queue, no lock, no wake-up of another thread). Posting to one
// from any thread stays safe.
std::vector<std::unique_ptr<boost::asio::io_context>> more_io_contexts(std::size_t threads) {
  std::vector<std::unique_ptr<boost::asio::io_context>> out;
  for (std::size_t n = 1; n < threads; ++n)
    out.push_back(std::make_unique<boost::asio::io_context>(1));
  return out;
}

struct Gateway::Impl {
  explicit Impl(config::Config c)
      : config(std::move(c)),
        io(1),
        more_io(more_io_contexts(config.server.io_threads())),
        control(boost::asio::make_strand(io)) {}

  config::Config config;
  // The first io thread's context: the gateway's own work (timers, cleanup, the listeners, the
  // admin and metrics servers, stores attached to the io threads) and its share of connections.
  boost::asio::io_context io;
  // The other io threads' contexts (none with threads = 1): connections only. Declared right
  // after `io` so that they outlive every member that may hold one of their sockets or timers.
  std::vector<std::unique_ptr<boost::asio::io_context>> more_io;
  // Connections are spread in turn over every io thread's context and need no strand there
  // (http::ServerOptions::connection_executors); the gateway's own coroutines (provider
  // discovery, signals, shutdown) run on this one.
  boost::asio::strand<boost::asio::io_context::executor_type> control;

  std::vector<boost::asio::any_io_executor> connection_executors() {
    std::vector<boost::asio::any_io_executor> out{io.get_executor()};
    for (auto& more : more_io) out.push_back(more->get_executor());
    return out;
  }
  std::shared_ptr<crypto::KeyRing> keys;
  // Re-reads keys.path when it changes and at SIGHUP (keys rotate / retire without a restart).
  std::unique_ptr<crypto::KeyRingWatch> key_watch;
  BffServices services;
  std::shared_ptr<tickets::TicketStore> ticket_store;
  std::shared_ptr<oidc::OidcClient> oidc;
  std::shared_ptr<BffEndpoints> endpoints;
  // Sessions, then the partitions beside them (back-channel logout jtis, refresh leases), each
  // with its own expiry cleanup.
  std::vector<std::unique_ptr<UserSessionCleanupService>> cleanups;
  std::shared_ptr<UserSessionStore> replay_store;
  std::shared_ptr<UserSessionStore> lease_store;
  std::unique_ptr<proxy::ApiProxy> api;   // null without [[api]] routes
  std::unique_ptr<LocalApis> local_apis;  // null without add_local_api()
  std::shared_ptr<TokenRevoker> revoker;
  std::shared_ptr<PendingLogouts> pending_logouts;  // back-channel logouts the store missed
  std::unique_ptr<http::StaticSite> static_site;    // null without frontend.static_dir
  std::unique_ptr<http::Server> server;
  std::unique_ptr<admin::AdminApi> admin;  // both null without an admin token
  std::unique_ptr<http::Server> admin_server;
  std::unique_ptr<http::Server> metrics_server;  // null without [metrics] listen
  // Session lifecycle events (audit, metrics): subscribers are added in the constructor.
  std::shared_ptr<events::SessionEvents> events = std::make_shared<events::SessionEvents>();
  // Run on the control strand at every SIGHUP (reopen the audit file, re-read the key ring);
  // each must be quick and must not throw.
  std::vector<std::function<void()>> reload_hooks;
  audit::AuditLog audit;  // [audit] file and webhook, subscribed to `events`
  std::atomic<bool> stopping{false};
  std::atomic<bool> shutting_down{false};

  // SIGHUP: every reload hook, then wait for the next one.
  void await_hangups(boost::asio::signal_set& hangups) {
    hangups.async_wait([this, &hangups](const boost::system::error_code& ec, int) {
      if (ec) return;
      spdlog::info("SIGHUP: reloading");
      for (auto& hook : reload_hooks) hook();
      await_hangups(hangups);
    });
  }

  // Stops accepting, lets requests in progress finish (10 s at most), then stops the io threads.
  void begin_shutdown() {
    if (shutting_down.exchange(true)) return;
    stopping = true;
    for (auto& cleanup : cleanups) cleanup->stop();
    pending_logouts->stop();
    key_watch->stop();  // on the control strand, like every caller of begin_shutdown
    auto drain = [this]() -> boost::asio::awaitable<void> {
      if (admin_server) co_await admin_server->shutdown(std::chrono::seconds(10));
      if (metrics_server) co_await metrics_server->shutdown(std::chrono::seconds(1));
      co_await server->shutdown(std::chrono::seconds(10));
      if (audit.webhook) co_await audit.webhook->finish(std::chrono::seconds(2));
      io.stop();
    };
    boost::asio::co_spawn(control, drain, boost::asio::detached);
  }

  // Discovery retries until the provider answers: the gateway starts even while the provider
  // is down, and /readyz tells the load balancer when it can take logins.
  boost::asio::awaitable<void> load_provider() {
    boost::asio::steady_timer timer(control);
    for (auto delay = std::chrono::seconds(1); !stopping;
         delay = std::min(delay * 2, std::chrono::seconds(30))) {
      auto loaded = co_await oidc->load_metadata();
      if (loaded) {
        spdlog::info("identity provider metadata loaded from {}", config.oidc.authority);
        co_return;
      }
      spdlog::warn("identity provider not reachable ({}: {}); retrying in {} s",
                   loaded.error().code.message(), loaded.error().detail, delay.count());
      timer.expires_after(delay);
      boost::system::error_code ec;
      co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
  }

  boost::asio::awaitable<http::Response> serve(http::Request& request) {
    if (auto answered = co_await endpoints->handle(request)) co_return std::move(*answered);
    if (local_apis)
      if (auto answered = co_await local_apis->handle(request)) co_return std::move(*answered);
    if (static_site) co_return static_site->serve(request);
    co_return http::text(404, "not found\n");
  }
};

Gateway::Gateway(config::Config config, BffBuilder builder)
    : impl_(std::make_unique<Impl>(std::move(config))) {
  auto& i = *impl_;
  const auto& c = i.config;
  try {
    i.keys = std::make_shared<crypto::KeyRing>(crypto::KeyRing::load_or_create(c.keys.path));
  } catch (const std::exception& e) {
    throw StartupError(std::string("keys.path: ") + e.what());
  }
  // Stores that can (Redis) run their I/O on the io threads: no hop to a thread of their own.
  builder.partition(c.session.partition)
      .executor(i.io.get_executor())
      .cleanup({.interval = c.session.cleanup_interval,
                .batch_size = static_cast<std::size_t>(c.session.cleanup_batch)});
  const std::string store_label =
      builder.has_store() ? "custom" : std::string(config::to_string(c.session.store));
  if (!builder.has_store()) stores::add_configured_store(builder, c.session);
  try {
    i.services = builder.build();
    instrument_stores(i.services, store_label);
    i.replay_store = i.services.store_for_partition(tickets::replay_partition(c.session.partition));
    i.lease_store = i.services.store_for_partition(tickets::lease_partition(c.session.partition));
  } catch (const std::exception& e) {
    throw StartupError(std::string("session store: ") + e.what());
  }
  // The audit log first: every later part may publish session events.
  i.events->set_partition(c.session.partition);
  i.events->set_clock(i.services.context.clock);
  i.events->subscribe(std::make_shared<metrics::SessionMetrics>());
  metrics::register_process_metrics(metrics::default_registry());
  PublicRoutes routes{.bff_base_path = c.bff.base_path,
                      .static_site = c.frontend.static_dir.has_value()};
  for (const auto& route : c.api) routes.api_paths.push_back(route.path);
  for (const auto& local : i.services.local_apis) routes.local_paths.push_back(local.path);
  const auto observer = std::make_shared<GatewayRequestObserver>(
      [routes = std::move(routes)](const http::Request& r) { return routes.classify(r); },
      c.log.access);
  const auto admin_observer = std::make_shared<GatewayRequestObserver>(classify_admin);
  try {
    i.audit = audit::open_audit_log(c.audit, i.io.get_executor());
  } catch (const std::exception& e) {
    throw StartupError(std::string("audit.file: ") + e.what());
  }
  if (i.audit.file) {
    i.events->subscribe(i.audit.file);
    i.reload_hooks.push_back([file = i.audit.file.get()] { file->reopen(); });  // logrotate
  }
  if (i.audit.webhook) i.events->subscribe(i.audit.webhook);
  // What the audit sinks could not deliver, read at scrape time (weak: the registry outlives us).
  auto& registry = metrics::default_registry();
  if (i.audit.file)
    registry.callback("gatehouse_audit_file_dropped_total",
                      "Audit events not written to [audit] file (queue full or write failed).",
                      metrics::Type::counter, [file = std::weak_ptr(i.audit.file)] {
                        const auto f = file.lock();
                        return f ? static_cast<double>(f->dropped() + f->write_failures()) : 0.0;
                      });
  if (i.audit.webhook)
    registry.callback("gatehouse_audit_webhook_dropped_total",
                      "Audit events not delivered to [audit] webhook (queue full or refused).",
                      metrics::Type::counter, [hook = std::weak_ptr(i.audit.webhook)] {
                        const auto h = hook.lock();
                        return h ? static_cast<double>(h->dropped()) : 0.0;
                      });
  tickets::TicketStoreOptions ticket_options{c.session.idle_timeout, c.session.max_lifetime,
                                             c.session.renew_after};
  ticket_options.events = i.events;
  i.ticket_store = std::make_shared<tickets::TicketStore>(i.services.store, i.keys, ticket_options);
  try {
    i.oidc = std::make_shared<oidc::OidcClient>(i.io.get_executor(), oidc_settings(c), Clock{},
                                                c.oidc.dpop ? i.keys->dpop_key() : nullptr);
  } catch (const std::invalid_argument& e) {
    throw StartupError(e.what());
  }
  // A new DPoP key in the file signs every later proof (token requests and API calls alike).
  i.key_watch = std::make_unique<crypto::KeyRingWatch>(
      i.control, i.keys, c.keys.path,
      [keys = i.keys, oidc = i.oidc, dpop = c.oidc.dpop](const crypto::KeyRing::Reloaded& r) {
        if (dpop && r.dpop_changed) oidc->use_dpop_key(keys->dpop_key());
      });
  i.reload_hooks.push_back([watch = i.key_watch.get()] { watch->reload(); });
  const bool https = c.server.public_origin.starts_with("https://");
  CookiePolicy cookies{c.session.cookie_name, c.session.cookie_host_prefixed() || https,
                       c.session.same_site == config::SameSite::strict ? "Strict" : "Lax"};
  EndpointOptions endpoint_options{c.bff.base_path, c.server.public_origin, cookies};
  endpoint_options.logout_replay_cache =
      std::make_shared<tickets::ReplayCache>(i.replay_store, i.services.context.clock);
  endpoint_options.backchannel_all_user_sessions = c.session.backchannel_all_user_sessions;
  i.revoker = std::make_shared<TokenRevoker>(i.io.get_executor(), i.oidc);
  endpoint_options.revoker = i.revoker;
  i.pending_logouts = std::make_shared<PendingLogouts>(i.ticket_store, i.revoker,
                                                       PendingLogoutOptions{.events = i.events});
  endpoint_options.pending_logouts = i.pending_logouts;
  endpoint_options.events = i.events;
  endpoint_options.max_per_user = static_cast<std::size_t>(c.session.max_per_user);
  i.endpoints =
      std::make_shared<BffEndpoints>(std::move(endpoint_options), i.ticket_store, i.oidc, i.keys);
  // Leases: token refreshes, and which instance cleans up each round.
  auto leases = std::make_shared<tickets::LeaseStore>(i.lease_store, i.services.context.clock);
  struct CleanedPartition {
    std::shared_ptr<UserSessionStore> store;
    std::string partition;
    const char* what;
  };
  const CleanedPartition partitions[] = {
      {i.services.store, c.session.partition, "sessions"},
      {i.replay_store, tickets::replay_partition(c.session.partition),
       "back-channel replay records"},
      {i.lease_store, tickets::lease_partition(c.session.partition), "leases"}};
  for (const auto& [store, partition, what] : partitions) {
    auto cleanup = std::dynamic_pointer_cast<UserSessionStoreCleanup>(store);
    if (!cleanup) continue;
    auto options = i.services.cleanup_options;
    options.what = what;
    options.turns =
        std::make_shared<tickets::LeaseCleanupTurns>(leases, partition, options.interval);
    // Subscribed already (metrics, audit): with nobody listening the store reads nothing back.
    if (store == i.services.store && !i.events->empty())
      options.on_deleted = [events = i.events](std::span<const ExpiredSession> removed) {
        tickets::publish_expired(events.get(), removed, events::Actor::cleanup);
      };
    i.cleanups.push_back(std::make_unique<UserSessionCleanupService>(i.io.get_executor(),
                                                                     std::move(cleanup), options));
  }
  if (!c.api.empty() || !i.services.local_apis.empty()) {
    auto tokens = make_token_manager(c, i.ticket_store, i.oidc, leases, i.events);
    if (!c.api.empty()) i.api = make_api_proxy(c, cookies, i.ticket_store, tokens);
    if (!i.services.local_apis.empty()) {
      try {
        i.local_apis = std::make_unique<LocalApis>(
            std::move(i.services.local_apis), reserved_paths(c), c.session.cookie_name,
            clear_cookie(cookies, cookies.session_name), i.ticket_store, tokens);
      } catch (const std::invalid_argument& e) {
        throw StartupError(e.what());
      }
    }
  }
  if (c.frontend.static_dir)
    i.static_site = std::make_unique<http::StaticSite>(
        *c.frontend.static_dir, http::StaticOptions{.spa_fallback = c.frontend.spa_fallback});
  auto handler = [impl = impl_.get()](http::Request& r) { return impl->serve(r); };
  auto options = server_options(c, observer);
  options.connection_executors = i.connection_executors();
  if (i.api)
    i.server = std::make_unique<http::Server>(
        i.io.get_executor(), std::move(options), std::move(handler),
        http::StreamingRoute{
            [api = i.api.get()](const http::Request& head) { return api->wants(head); },
            [api = i.api.get()](http::Request& head, http::Exchange& exchange) {
              return api->handle(head, exchange);
            }});
  else
    i.server =
        std::make_unique<http::Server>(i.io.get_executor(), std::move(options), std::move(handler));
  try {
    i.server->listen();
  } catch (const std::exception& e) {
    throw StartupError(std::string("server.listen: ") + e.what());
  }
  if (c.admin.enabled()) {
    i.admin = std::make_unique<admin::AdminApi>(
        admin::AdminApiOptions{
            .token = c.admin.token,
            .cursor_keys = i.keys,
            .cleanup_batch = static_cast<std::size_t>(c.session.cleanup_batch),
            .end_sessions =
                [ticket_store = i.ticket_store, revoker = i.revoker,
                 events = i.events](UserSessionsFilter filter) {
                  return end_and_revoke(ticket_store, revoker, events, std::move(filter));
                },
            .end_session =
                [ticket_store = i.ticket_store, revoker = i.revoker,
                 events = i.events](UserSession session) {
                  return end_one_and_revoke(ticket_store, revoker, events, std::move(session));
                },
            .events = i.events,
            .metrics = [] { return metrics::default_registry().render(); }},
        i.services.store, i.services.cleanup, i.services.listing, i.services.context.clock);
    try {
      i.admin_server = std::make_unique<http::Server>(
          i.io.get_executor(), admin_server_options(c, admin_observer),
          [api = i.admin.get()](http::Request& r) { return api->handle(r); });
      i.admin_server->listen();
    } catch (const std::exception& e) {
      throw StartupError(std::string("admin.listen: ") + e.what());
    }
  }
  if (c.metrics.own_listener()) {
    try {
      i.metrics_server = std::make_unique<http::Server>(
          i.io.get_executor(), metrics_server_options(c, admin_observer), serve_metrics);
      i.metrics_server->listen();
    } catch (const std::exception& e) {
      throw StartupError(std::string("metrics.listen: ") + e.what());
    }
  }
}

Gateway::~Gateway() = default;

int Gateway::run() {
  auto& i = *impl_;
  i.server->start();
  if (i.admin_server) i.admin_server->start();
  if (i.metrics_server) i.metrics_server->start();
  for (auto& cleanup : i.cleanups) cleanup->start();
  i.pending_logouts->start(i.io.get_executor());
  if (i.audit.webhook) i.audit.webhook->start();
  boost::asio::post(i.control, [watch = i.key_watch.get()] { watch->start(); });
  boost::asio::co_spawn(i.control, i.load_provider(), boost::asio::detached);
  const std::size_t threads = i.config.server.io_threads();
  spdlog::info("gatehouse listening on {} (public origin {}, {} io thread{})",
               i.config.server.listen, i.config.server.public_origin, threads,
               threads == 1 ? "" : "s");
  if (i.admin_server)
    spdlog::info("admin API listening on {}", i.config.admin.listen);
  else
    spdlog::info("admin API disabled: no admin.token");
  if (i.metrics_server)
    spdlog::info("metrics (GET /metrics, no auth) listening on {}", i.config.metrics.listen);

  boost::asio::signal_set signals(i.control, SIGINT, SIGTERM);
  boost::asio::signal_set hangups(i.control, SIGHUP);
  signals.async_wait([&i, &hangups](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: finishing in-flight requests", signal);
    i.begin_shutdown();
    hangups.cancel();
  });
  i.await_hangups(hangups);
  // The other io threads run until the first one's context stops (the end of the shutdown, when
  // every connection is gone): idle, they wait for connections instead of returning.
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> busy;
  std::vector<std::thread> workers;
  workers.reserve(i.more_io.size());
  for (auto& more : i.more_io) {
    busy.push_back(boost::asio::make_work_guard(*more));
    workers.emplace_back([ctx = more.get(), n = workers.size() + 1] {
      posix::name_this_thread("gh-io-" + std::to_string(n));
      ctx->run();
    });
  }
  i.io.run();
  busy.clear();
  for (auto& more : i.more_io) more->stop();
  for (auto& t : workers) t.join();
  spdlog::info("gatehouse stopped");
  return 0;
}

void Gateway::request_stop() {
  boost::asio::post(impl_->control, [impl = impl_.get()] {
    spdlog::info("stop requested: finishing in-flight requests");
    impl->begin_shutdown();
  });
}

std::uint16_t Gateway::port() const {
  return impl_->server->port();
}

std::uint16_t Gateway::admin_port() const {
  return impl_->admin_server ? impl_->admin_server->port() : 0;
}

std::uint16_t Gateway::metrics_port() const {
  return impl_->metrics_server ? impl_->metrics_server->port() : 0;
}

}  // namespace gatehouse::bff
