#include "proxy/api_proxy.hpp"
#include "url/strict_url.hpp"

#include "metrics/metrics.hpp"
#include "proxy/forwarder.hpp"
#include "proxy/hop_headers.hpp"
#include "proxy/upstream_pool.hpp"

#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <stdexcept>

namespace gatehouse::proxy {
namespace {

using config::TokenMode;
using http::iequals;

bool needs_session(TokenMode mode) {
  return mode == TokenMode::user || mode == TokenMode::user_or_client ||
         mode == TokenMode::user_or_none;
}

// RFC 6455 4.1: GET, Upgrade: websocket, Connection naming upgrade.
bool is_websocket_upgrade(const http::Request& r) {
  const auto upgrade = r.header("Upgrade");
  if (!upgrade || !iequals(*upgrade, "websocket")) return false;
  const auto tokens = connection_tokens(r.headers);
  return std::find(tokens.begin(), tokens.end(), "upgrade") != tokens.end();
}

bool has_csrf_header(const http::Request& r) {
  return r.header_count("X-CSRF") == 1 && r.header("X-CSRF") == "1";
}

std::optional<std::string> find_cookie(const http::Request& r, std::string_view name) {
  for (auto& [n, v] : r.cookies())
    if (n == name) return v;
  return std::nullopt;
}

// A claim's value as text for comparison: strings as they are, other scalars as JSON.
std::string claim_text(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  return boost::json::serialize(v);
}

bool claim_satisfied(const boost::json::object& claims, const config::ClaimRequirement& want) {
  const auto* value = claims.if_contains(want.claim);
  if (!value) return false;
  const auto wanted = [&](const boost::json::value& v) {
    if (v.is_object() || v.is_array()) return false;
    return std::find(want.any_of.begin(), want.any_of.end(), claim_text(v)) != want.any_of.end();
  };
  if (value->is_array())
    return std::any_of(value->as_array().begin(), value->as_array().end(), wanted);
  return wanted(*value);
}

struct Origin {
  std::string scheme, host;
};

Origin split_origin(const std::string& origin) {
  const auto parsed = gatehouse::url::parse_absolute(origin);
  if (!parsed) return {"https", origin};
  return {std::string(parsed->scheme()), std::string(parsed->encoded_host_and_port())};
}

http::Response refusal(int status, std::string detail) {
  return problem_response(status, std::move(detail));
}

}  // namespace

ApiProxy::ApiProxy(const std::vector<config::ApiRoute>& routes, ApiProxyOptions options,
                   std::shared_ptr<tickets::TicketStore> tickets,
                   std::shared_ptr<TokenSource> tokens)
    : routes_(routes),
      options_(std::move(options)),
      tickets_(std::move(tickets)),
      tokens_(std::move(tokens)) {
  if (!routes_.empty() && (!tickets_ || !tokens_))
    throw std::invalid_argument("api routes need the ticket store and a token source");
  auto& durations = metrics::default_registry().histogram_family(
      "gatehouse_upstream_duration_seconds",
      "Proxied [[api]] calls from the request sent upstream to the end of the answer streamed "
      "back, by route path.",
      {"route"});
  for (const auto& route : routes_.routes()) {
    if (upstream_durations_.size() <= route.index) upstream_durations_.resize(route.index + 1);
    upstream_durations_[route.index] = &durations.with({route.config.path});
    auto& pool = pools_[route.upstream.origin];
    if (!pool)
      pool =
          std::make_unique<UpstreamPool>(route.upstream, PoolOptions{.ca_file = options_.ca_file});
  }
}

ApiProxy::~ApiProxy() = default;

bool ApiProxy::wants(const http::Request& head) const {
  return !routes_.empty() && routes_.match(head.target).has_value();
}

UpstreamPool& ApiProxy::pool_for(const ProxyRoute& route) {
  return *pools_.at(route.upstream.origin);
}

boost::asio::awaitable<void> ApiProxy::handle(http::Request& head, http::Exchange& exchange) {
  auto match = routes_.match(head.target);
  if (!match) {
    auto answer = refusal(404, "no such API");
    co_await exchange.respond(std::move(answer));
    co_return;
  }
  const auto& route = *match->route;
  const auto& rc = route.config;
  exchange.limit_body(rc.max_body.value_or(options_.max_body));
  if (has_dot_segment(
          std::string_view(head.path).substr(std::min(head.path.size(), rc.path.size())))) {
    auto answer = refusal(400, "a . or .. path segment cannot be forwarded");
    co_await exchange.respond(std::move(answer));
    co_return;
  }

  const bool upgrade = is_websocket_upgrade(head);
  if (upgrade) {
    if (!rc.websocket || head.method != "GET") {
      auto answer = refusal(400, "WebSocket is not enabled for this API");
      co_await exchange.respond(std::move(answer));
      co_return;
    }
    // A browser cannot add X-CSRF to a handshake; it always sends its page's Origin.
    if (head.header_count("Origin") != 1 || head.header("Origin") != options_.public_origin) {
      auto answer = refusal(403, "WebSocket handshake from a foreign or no Origin");
      co_await exchange.respond(std::move(answer));
      co_return;
    }
  } else if (rc.csrf && !has_csrf_header(head)) {
    auto answer = refusal(401, "missing X-CSRF: 1 header");
    co_await exchange.respond(std::move(answer));
    co_return;
  }

  std::optional<tickets::ActiveSession> session;
  bool had_cookie = false;
  if (needs_session(rc.token)) {
    if (auto handle = find_cookie(head, options_.session_cookie)) {
      had_cookie = true;
      auto loaded = co_await tickets_->load(*handle, true);
      if (!loaded) {
        auto r = refusal(503, "session store unavailable, try again shortly");
        r.set_header("Retry-After", "5");
        co_await exchange.respond(std::move(r));
        co_return;
      }
      session = std::move(*loaded);
    }
  }
  const auto not_signed_in = [&]() -> http::Response {
    auto r = refusal(401, "not signed in");
    if (had_cookie) r.headers.emplace_back("Set-Cookie", options_.clear_session_cookie);
    return r;
  };
  if (!session && (rc.token == TokenMode::user || !rc.require_claims.empty())) {
    auto answer = not_signed_in();
    co_await exchange.respond(std::move(answer));
    co_return;
  }
  for (const auto& want : rc.require_claims) {
    if (!claim_satisfied(session->ticket().claims, want)) {
      auto answer = refusal(403, "the session lacks a claim this API requires");
      co_await exchange.respond(std::move(answer));
      co_return;
    }
  }

  const std::string url =
      route.upstream.origin + match->upstream_target.substr(0, match->upstream_target.find('?'));
  const events::RequestOrigin browser{
      std::string(head.client_address()),
      events::clean_user_agent(head.header("User-Agent").value_or(""))};
  const CallSite call{&route, head.method, url, &browser};
  std::optional<CredentialOutcome> credential;
  switch (rc.token) {
    case TokenMode::none:
      break;
    case TokenMode::user_or_none:
      if (session) credential = co_await tokens_->user_credential(*session, call);
      break;
    case TokenMode::user:
      credential = co_await tokens_->user_credential(*session, call);
      break;
    case TokenMode::user_or_client:
      if (session)
        credential = co_await tokens_->user_credential(*session, call);
      else
        credential = co_await tokens_->client_credential(call);
      break;
    case TokenMode::client:
      credential = co_await tokens_->client_credential(call);
      break;
  }
  if (credential && !credential->credential) {
    auto r = refusal(credential->status ? credential->status : 503, credential->detail);
    if (r.status == 503) r.set_header("Retry-After", "5");
    if (credential->session_ended)
      r.headers.emplace_back("Set-Cookie", options_.clear_session_cookie);
    co_await exchange.respond(std::move(r));
    co_return;
  }

  ForwardRequest up{.route = &route,
                    .method = head.method,
                    .target = std::move(match->upstream_target),
                    .headers = upstream_request_headers(head.headers, {.websocket = upgrade}),
                    .websocket = upgrade,
                    .write_timeout = options_.write_timeout};
  if (credential) {
    up.headers.emplace_back("Authorization", credential->credential->authorization);
    if (credential->credential->dpop_proof) {
      up.headers.emplace_back("DPoP", *credential->credential->dpop_proof);
      up.on_dpop_nonce = [tokens = tokens_, origin = route.upstream.origin](std::string nonce) {
        tokens->remember_nonce(origin, std::move(nonce));
      };
      const auto& authorization = credential->credential->authorization;
      up.dpop_retry = [tokens = tokens_, call,
                       token = authorization.substr(authorization.find(' ') + 1)] {
        return tokens->dpop_proof(call, token);
      };
    }
  }
  // X-Forwarded-For grows by the browser's address; proto and host are the public origin's.
  std::string forwarded_for;
  for (const auto& [name, value] : head.headers)
    if (iequals(name, "X-Forwarded-For"))
      forwarded_for += (forwarded_for.empty() ? "" : ", ") + value;
  forwarded_for += (forwarded_for.empty() ? "" : ", ") + head.remote_address;
  const auto origin = split_origin(options_.public_origin);
  up.headers.emplace_back("X-Forwarded-For", std::move(forwarded_for));
  up.headers.emplace_back("X-Forwarded-Proto", origin.scheme);
  up.headers.emplace_back("X-Forwarded-Host", origin.host);
  // The request id the gateway logs (the browser's when sane, else its own): one id end to end.
  if (!head.request_id.empty()) {
    std::erase_if(up.headers, [](const auto& h) { return iequals(h.first, "X-Request-Id"); });
    up.headers.emplace_back("X-Request-Id", head.request_id);
  }
  const auto traceparent =
      head.header_count("traceparent") == 1 ? head.header("traceparent") : std::nullopt;
  if (traceparent && is_valid_traceparent(*traceparent)) {
    up.headers.emplace_back("traceparent", std::string(*traceparent));
    if (auto state = head.header("tracestate"))
      up.headers.emplace_back("tracestate", std::string(*state));
  } else {
    up.headers.emplace_back("traceparent", new_traceparent());
  }

  const auto forwarding_started = std::chrono::steady_clock::now();
  const auto outcome = co_await forward(pool_for(route), std::move(up), exchange);
  upstream_durations_[route.index]->observe(std::chrono::steady_clock::now() - forwarding_started);
  spdlog::debug("proxy api[{}] {} {}: {}", route.index, head.method, rc.path, to_string(outcome));
}

}  // namespace gatehouse::proxy
