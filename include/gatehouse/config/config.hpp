// gatehouse configuration: one TOML file, overridden by GATEHOUSE_<SECTION>_<KEY> environment
// variables, validated once at start-up. Every problem names its setting (section.key) and
// where the bad value came from, and all of them are reported at once.
//
// See docs/configuration.md for every setting; names here match the file exactly.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gatehouse/config/units.hpp>
#include <gatehouse/oidc/token_auth.hpp>

namespace gatehouse::config {

using oidc::TokenAuth;  // header-only: the configuration does not link the OIDC client
enum class StoreKind { sqlite, memory, postgres, redis };
enum class SameSite { lax, strict };
// Which access token a proxied call carries ("client": gatehouse's own, client-credentials).
enum class TokenMode {
  user,            // the signed-in user's; no user, no call
  user_or_client,  // the user's when signed in, else the client's
  client,          // always the client's
  user_or_none,    // the user's when signed in, else none
  none,            // never a token
};

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  std::string public_origin;  // required: "https://app.example.com", no trailing slash
  std::optional<std::filesystem::path> tls_cert;
  std::optional<std::filesystem::path> tls_key;
  std::uint64_t max_body = 1024 * 1024;
  std::chrono::milliseconds read_timeout = std::chrono::seconds{15};
  std::chrono::milliseconds idle_timeout = std::chrono::seconds{60};
  // io threads serving requests; 0: one per core (std::thread::hardware_concurrency()).
  std::int64_t threads = 0;
  // Reverse proxies / load balancers (IP addresses or CIDR networks) whose X-Forwarded-For is
  // believed: behind them, sessions and audit events record the client's address, not theirs.
  std::vector<std::string> trusted_proxies;
  std::size_t io_threads() const {
    if (threads > 0) return static_cast<std::size_t>(threads);
    return std::max(1u, std::thread::hardware_concurrency());
  }

  // Where the identity provider sends the browser back after login.
  std::string redirect_uri() const { return public_origin + "/signin-oidc"; }
};

struct OidcConfig {
  std::string authority;  // required: the issuer URL
  std::string client_id;
  std::string client_secret;  // never logged; describe() prints "***"
  std::vector<std::string> scopes = {"openid", "profile", "email", "offline_access"};
  TokenAuth token_auth = TokenAuth::client_secret_basic;
  std::chrono::milliseconds clock_skew = std::chrono::seconds{60};
  // A user access token this close to expiry is refreshed before a proxied call (0 to 1 h).
  std::chrono::milliseconds refresh_margin = std::chrono::seconds{60};
  bool dpop = false;  // RFC 9449 sender-constrained (DPoP) tokens
};

struct SessionConfig {
  StoreKind store = StoreKind::sqlite;
  std::filesystem::path sqlite_path = "gatehouse-sessions.db";
  // store = "postgres": a libpq URI or key=value string (its password never logged); a pool of
  // connections, each operation bounded by the timeout; the schema gatehouse creates and migrates
  // (on serve only with auto_migrate, else `gatehouse migrate`).
  std::string postgres_url;
  std::int64_t postgres_pool = 8;
  std::chrono::milliseconds postgres_timeout = std::chrono::seconds{2};
  std::string postgres_schema = "gatehouse";
  bool postgres_auto_migrate = true;
  // store = "redis": redis://[user:password@]host:port/db, rediss:// (TLS) or
  // redis+cluster://host:port,host:port; every key starts with the prefix.
  std::string redis_url;
  std::string redis_prefix = "gatehouse";
  std::chrono::milliseconds redis_timeout = std::chrono::seconds{2};
  std::string partition = "gatehouse";
  std::chrono::milliseconds idle_timeout = std::chrono::minutes{30};
  std::chrono::milliseconds max_lifetime = std::chrono::hours{8};
  std::chrono::milliseconds cleanup_interval = std::chrono::minutes{10};
  std::int64_t cleanup_batch = 1000;
  // Sliding expiry is written at most once per this interval, not on every request.
  std::chrono::milliseconds renew_after = std::chrono::minutes{1};
  std::string cookie_name = "__Host-gatehouse";
  SameSite same_site = SameSite::lax;
  // A back-channel logout token ends every session of its subject, not only the one with its
  // sid (OIDC Back-Channel Logout 1.0, 2.6).
  bool backchannel_all_user_sessions = false;
  // At most this many sessions per subject in the partition: a login beyond it ends the least
  // recently used others (reason `limit`). 0: no limit.
  std::int64_t max_per_user = 0;

  // "__Host-" cookies must be Secure, Path=/ and carry no Domain, or browsers drop them.
  bool cookie_host_prefixed() const { return cookie_name.starts_with("__Host-"); }
};

struct KeysConfig {
  std::filesystem::path path = "gatehouse-keys.json";
};

struct FrontendConfig {
  std::optional<std::filesystem::path> static_dir;
  bool spa_fallback = true;
};

struct BffConfig {
  std::string base_path = "/bff";
};

// A claim the user must have for a route: 403 otherwise.
struct ClaimRequirement {
  std::string claim;
  std::vector<std::string> any_of;  // a TOML string is one value; an array: any of them
};

// One `[[api]]` table: requests under `path` are forwarded to `upstream` with a token.
// Validated at load: what a loaded Config holds needs no checking again.
struct ApiRoute {
  // Matched on a segment boundary ("/api/orders" matches "/api/orders/1", not "/api/ordersx");
  // starts with "/", never ends with one, at most 256 bytes; the longest matching path wins.
  std::string path;
  // http(s)://host[:port][/prefix], never ending in "/" (a trailing "/" in the file is dropped),
  // no userinfo, query or fragment: the rest of the request path and its query are appended
  // (an empty result is "/").
  std::string upstream;
  TokenMode token = TokenMode::user;
  std::vector<std::string> scopes;      // client-credentials scopes; only with client tokens
  std::optional<std::string> audience;  // RFC 8707 resource indicator; never with token none
  std::vector<ClaimRequirement> require_claims;  // in file order; only with user tokens
  bool csrf = true;                              // require `X-CSRF: 1` (401 without)
  bool websocket = false;                        // let `Upgrade: websocket` through
  std::chrono::milliseconds connect_timeout = std::chrono::seconds{2};
  // Until the upstream's response headers; 504 after.
  std::chrono::milliseconds response_timeout = std::chrono::seconds{30};
  // Request bodies streamed to this route (uploads) may be this large; unset: server.max_body.
  std::optional<std::uint64_t> max_body;
};

// The operators' HTTP API (list, revoke, cleanup). Not started without a token.
struct AdminConfig {
  std::string listen = "127.0.0.1:8081";
  std::string token;  // bearer token; never logged; describe() prints "***"

  bool enabled() const { return !token.empty(); }
};

// Prometheus metrics: always on the admin listener (GET /metrics, with the admin token); with
// `listen`, also on a listener of its own without auth that serves only /metrics.
struct MetricsConfig {
  std::string listen;  // "127.0.0.1:9464"; empty: no listener of its own

  bool own_listener() const { return !listen.empty(); }
};

// "auto": text when stderr is a terminal, JSON lines otherwise.
enum class LogFormat { automatic, text, json };
enum class LogLevel { trace, debug, info, warn, error };

struct LogConfig {
  LogFormat format = LogFormat::automatic;
  LogLevel level = LogLevel::info;
  // One line per request answered on the public listener (method, path without the query,
  // route class, status, duration, request id). Off: only counted in the metrics (an access
  // line costs about a tenth of the throughput of the cheapest requests; see docs/benchmarks.md).
  bool access = true;
};

// Session audit events (start, refresh, end, operator actions) as JSON: appended to a file
// and/or POSTed in batches to a webhook. Neither set: no audit log.
struct AuditConfig {
  // Appended, one line per event, one write(2) each; reopened on SIGHUP (logrotate).
  std::optional<std::filesystem::path> file;
  // https://... (http only for loopback): JSON array batches, retried with backoff.
  std::string webhook;
  // Events waiting to be written or sent, per destination; beyond it new ones are dropped
  // (counted and logged).
  std::int64_t queue = 10'000;

  bool enabled() const { return file.has_value() || !webhook.empty(); }
};

struct Config {
  ServerConfig server;
  OidcConfig oidc;
  SessionConfig session;
  KeysConfig keys;
  FrontendConfig frontend;
  BffConfig bff;
  AdminConfig admin;
  MetricsConfig metrics;
  LogConfig log;
  AuditConfig audit;
  std::vector<ApiRoute> api;  // `[[api]]` in file order; from the file only, never the environment
};

// Only GATEHOUSE_* entries matter. A map, so tests never touch the process environment.
using Environment = std::map<std::string, std::string, std::less<>>;

// The GATEHOUSE_* variables of this process.
Environment process_environment();

struct Problem {
  std::string setting;   // "section.key"; empty when the problem is the whole file
  std::string message;   // what is wrong, e.g. `must be an absolute http(s) URL, got "foo"`
  std::string location;  // "file.toml:4:13" when the value came from the file
  std::string env_var;   // "GATEHOUSE_OIDC_AUTHORITY" when the value came from the environment

  // `oidc.authority: must be ... (from GATEHOUSE_OIDC_AUTHORITY)` or `file:3:7: message`.
  std::string to_string() const;
};

struct LoadResult {
  std::optional<Config> config;  // set exactly when errors is empty
  std::vector<Problem> errors;
  std::vector<Problem> warnings;  // worth fixing, but gatehouse can run

  bool ok() const { return config.has_value(); }
};

// Reads `file` (when given; missing is an error), overlays `env`, validates everything.
// Never throws for bad input; filesystem checks (TLS files, static_dir) happen here.
LoadResult load_config(const std::optional<std::filesystem::path>& file, const Environment& env);

// The same for TOML text (tests, fuzzing); `source_name` appears in locations.
LoadResult load_config_from_string(std::string_view toml, const Environment& env,
                                   std::string_view source_name = "<string>");

// A TOML-shaped dump for `gatehouse check-config`, secrets replaced by "***".
std::string describe(const Config& config);

// to_string(TokenAuth) is oidc's, found by argument-dependent lookup.
std::string_view to_string(StoreKind value);
std::string_view to_string(SameSite value);
std::string_view to_string(TokenMode value);
std::string_view to_string(LogFormat value);
std::string_view to_string(LogLevel value);

}  // namespace gatehouse::config
