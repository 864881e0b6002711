// OpenID Connect Back-Channel Logout 1.0: the provider POSTs a signed logout token and the
// sessions it names end on every instance sharing the store. The token is validated like any JWT
// (oidc/logout_token.hpp), its jti is accepted once only across instances (ReplayCache), and the
// ended sessions' refresh tokens are revoked at the provider.
#include "bff/bff_endpoints.hpp"
#include "bff/pending_logouts.hpp"
#include "bff/responses.hpp"
#include "bff/session_audit.hpp"
#include "crypto/base64.hpp"
#include "crypto/digest.hpp"
#include "metrics/metrics.hpp"

#include <spdlog/spdlog.h>

namespace gatehouse::bff {
namespace {

// 2.8: a failed logout is a 400; the body never says why (the log does), so probing tokens
// teaches an attacker nothing.
// gatehouse_backchannel_total{result}: accepted, invalid, replayed, unavailable (the store could
// not answer; kept to apply later when pending logouts are on), not_ready (no provider metadata).
void count(std::string_view result) {
  static auto& family = metrics::default_registry().counter_family(
      "gatehouse_backchannel_total", "Back-channel logout requests, by result.", {"result"});
  family.with({result}).inc();
}

http::Response refused(std::string_view why, std::string_view result = "invalid") {
  count(result);
  spdlog::warn("back-channel logout refused: {}", why);
  return no_store(http::json(
      400, R"({"error":"invalid_request","error_description":"logout token not accepted"})"));
}

std::string hashed(std::string_view value) {
  return crypto::base64url_encode(crypto::sha256(value)).substr(0, 12);
}

bool is_form(std::optional<std::string_view> content_type) {
  if (!content_type) return false;
  auto type = content_type->substr(0, content_type->find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  return http::iequals(type, "application/x-www-form-urlencoded");
}

}  // namespace

boost::asio::awaitable<void> BffEndpoints::revoke(std::vector<std::string> refresh_tokens) {
  if (!options_.revoker || refresh_tokens.empty()) co_return;
  const auto count = refresh_tokens.size();
  auto outcome =
      co_await options_.revoker->revoke(std::move(refresh_tokens), options_.revocation_wait);
  spdlog::info(
      "refresh tokens of ended sessions: {} revoked, {} failed, {} still running, {} "
      "dropped (of {})",
      outcome.revoked, outcome.failed, outcome.pending, outcome.dropped, count);
}

boost::asio::awaitable<http::Response> BffEndpoints::backchannel(http::Request& request) {
  if (request.method != "POST") {
    auto r = problem(405, "method not allowed");
    r.set_header("Allow", "POST");
    co_return r;
  }
  if (request.header_count("Content-Type") != 1 || !is_form(request.header("Content-Type")))
    co_return refused("Content-Type is not application/x-www-form-urlencoded");
  const auto form = http::parse_form(request.body);
  if (!form) co_return refused("malformed form body");
  std::optional<std::string> token;
  for (const auto& [name, value] : *form) {
    if (name != "logout_token") continue;
    if (token) co_return refused("more than one logout_token parameter");
    token = value;
  }
  if (!token || token->empty()) co_return refused("no logout_token parameter");
  if (!oidc_->ready()) co_return refused("identity provider metadata not loaded yet", "not_ready");

  auto validated = co_await oidc_->validate_logout_token(std::move(*token));
  if (!validated) co_return refused(validated.error().detail);
  const auto& logout = *validated;

  // Once only, on every instance: the first to record the jti wins. A store that cannot answer
  // means we cannot tell a replay from a first delivery, so refuse (fail closed).
  if (!options_.logout_replay_cache) co_return refused("no replay cache for jti");
  const LogoutRequest request_to_end{logout.subject, logout.session_id,
                                     options_.backchannel_all_user_sessions};
  // The store cannot take it now: refuse (the provider may retry), and keep it to apply once
  // the store is back.
  const auto store_down = [&](std::string why) {
    if (options_.pending_logouts) options_.pending_logouts->add(request_to_end);
    return refused(
        why + (options_.pending_logouts ? " (kept to apply when the store is back)" : ""),
        "unavailable");
  };
  const auto until = std::chrono::time_point_cast<std::chrono::milliseconds>(logout.replay_until);
  auto first = co_await options_.logout_replay_cache->first_use(logout.issuer, logout.jti, until);
  if (!first) co_return store_down("jti replay cache unavailable: " + first.error().message());
  if (!*first) co_return refused("jti already used (replay)", "replayed");

  // Which sessions: sub and sid together select one provider session (2.6: AND); with
  // backchannel_all_user_sessions every session of the subject.
  auto filters = co_await logout_filters(request_to_end, *tickets_->store());
  if (!filters) {
    co_await options_.logout_replay_cache->forget(logout.issuer, logout.jti);
    co_return store_down("session store: " + filters.error().message());
  }

  std::size_t ended = 0;
  std::vector<std::string> refresh_tokens;
  // Reading the sessions' tickets only pays off when their refresh tokens can be revoked.
  const bool revocable = options_.revoker && options_.revoker->enabled();
  const bool audited = listening(options_.events.get());
  const auto origin = origin_of(request);
  for (auto& filter : *filters) {
    auto result = co_await tickets_->end_sessions(filter, revocable, audited);
    if (!result) {
      // Let the provider's retry (if any) through: this delivery did not do its job.
      co_await options_.logout_replay_cache->forget(logout.issuer, logout.jti);
      co_return store_down("session store: " + result.error().message());
    }
    ended += result->count;
    publish_ended(options_.events.get(), *result, filter, events::EndReason::backchannel,
                  events::Actor::provider, &origin);
    for (auto& t : result->refresh_tokens) refresh_tokens.push_back(std::move(t));
  }
  spdlog::info("back-channel logout: ended {} session(s) (subject hash {}, sid hash {})", ended,
               logout.subject ? hashed(*logout.subject) : "-",
               logout.session_id ? hashed(*logout.session_id) : "-");
  co_await revoke(std::move(refresh_tokens));
  count("accepted");
  co_return no_store(http::text(200, ""));
}

}  // namespace gatehouse::bff
