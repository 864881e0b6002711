// The provider's metadata and keys: discovery, the JWKS, and the refetch when a token names a kid
// the cached JWKS lacks (the provider rotated its keys).
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <vector>

#include "oidc/client_state.hpp"

namespace gatehouse::oidc {
namespace {

using State = OidcClient::State;
using boost::asio::awaitable;

// Bounded like the discovery document: JWKS and discovery are both small, public documents.
constexpr std::size_t kMaxDocumentBytes = std::max(kMaxDiscoveryBytes, jose::kMaxJwksBytes);

// How often an exchange that found a refetch in flight looks whether it has finished. Polling
// (rather than a shared wake-up) keeps every timer owned by one coroutine, so no cross-thread
// timer use and no lost wake-up; this path only runs during a key rotation.
constexpr auto kRefetchPoll = std::chrono::milliseconds(20);

// GET a public JSON document; any failure becomes `code` with `what` naming the document.
awaitable<Outcome<std::string>> get_document(std::shared_ptr<State> s, std::string url,
                                             OidcErrc code, std::string what) {
  auto request = provider_request(*s, std::move(url));
  request.max_body = kMaxDocumentBytes;
  auto response = co_await http::fetch(s->executor, std::move(request));
  if (!response) {
    Failure failure{code, what + ": " + response.error().message()};
    co_return failure;
  }
  if (response->status != 200) {
    Failure failure{code, what + ": HTTP " + std::to_string(response->status)};
    co_return failure;
  }
  co_return std::move(response->body);
}

// A ROCA key is the provider's problem to fix (rotate it away); the others are routine (encryption
// keys, key types we do not verify with).
void log_skipped_keys(const jose::Jwks& jwks) {
  for (const auto& skipped : jwks.skipped()) {
    const auto kid = loggable(skipped.kid, 64);
    if (skipped.reason == jose::KeySkip::roca_fingerprint)
      spdlog::warn(
          "oidc: JWKS key kid=\"{}\" skipped: its RSA modulus has the ROCA fingerprint "
          "(CVE-2017-15361, Infineon RSALib) and can be factored",
          kid);
    else
      spdlog::debug("oidc: JWKS key kid=\"{}\" skipped: not a signing key we can use", kid);
  }
}

awaitable<Outcome<JwksPtr>> fetch_jwks(std::shared_ptr<State> s, std::string url) {
  auto body = co_await get_document(s, std::move(url), OidcErrc::jwks_failed, "jwks");
  if (!body) co_return body.error();
  auto jwks = jose::parse_jwks(*body);
  if (!jwks) {
    Failure failure{OidcErrc::jwks_failed, "jwks: " + jwks.error().message()};
    co_return failure;
  }
  log_skipped_keys(*jwks);
  // A JWKS we can verify nothing with would fail every login later, with a worse message.
  if (jwks->size() == 0) {
    Failure failure{OidcErrc::jwks_failed, "jwks: no usable signing key"};
    co_return failure;
  }
  co_return std::make_shared<const jose::Jwks>(std::move(*jwks));
}

// Provider capabilities that predict a failure later; worth a warning, not a refusal (the lists
// are optional and some providers publish incomplete ones).
void warn_about_capabilities(const ProviderMetadata& m, TokenAuth auth) {
  const auto lists = [](const std::vector<std::string>& v, std::string_view s) {
    return v.empty() || std::find(v.begin(), v.end(), s) != v.end();
  };
  const auto method = to_string(auth);
  if (!lists(m.token_endpoint_auth_methods, method))
    spdlog::warn("oidc: provider does not list token endpoint auth method {}", method);
  if (!lists(m.code_challenge_methods, "S256"))
    spdlog::warn("oidc: provider does not list PKCE method S256");
}

}  // namespace

awaitable<Outcome<void>> OidcClient::load_metadata() {
  auto s = state_;  // the coroutine keeps the state alive even if the client goes away
  auto metadata = s->snapshot().first;
  if (!metadata) {
    const auto& authority = s->settings.authority;
    auto body =
        co_await get_document(s, discovery_url(authority), OidcErrc::discovery_failed, "discovery");
    if (!body) co_return logged(body.error());
    auto parsed = parse_discovery(*body, authority, s->allow_http);
    if (!parsed) co_return logged(parsed.error());
    warn_about_capabilities(*parsed, s->settings.token_auth);
    std::lock_guard lock(s->mutex);
    if (!s->metadata) s->metadata = std::make_shared<const ProviderMetadata>(std::move(*parsed));
    metadata = s->metadata;
  }
  auto jwks = co_await fetch_jwks(s, metadata->jwks_uri);
  if (!jwks) co_return logged(jwks.error());
  {
    std::lock_guard lock(s->mutex);
    s->jwks = *jwks;
  }
  spdlog::info("oidc: provider {} ready with {} signing keys", metadata->issuer, (*jwks)->size());
  co_return Outcome<void>();
}

// When another exchange already refetched, or is refetching, its result is used, so a rotation
// under load costs one download and fails no login; otherwise refetch unless the last refetch was
// too recent.
awaitable<JwksPtr> jwks_for_unknown_kid(std::shared_ptr<State> s, JwksPtr used) {
  std::string jwks_uri;
  const auto give_up = std::chrono::steady_clock::now() + s->settings.http_timeout + kRefetchPoll;
  for (;;) {
    {
      std::lock_guard lock(s->mutex);
      if (s->jwks != used) co_return s->jwks;
      if (!s->refetch_in_flight) {
        const auto now = s->clock();
        if (s->last_refetch && now - *s->last_refetch < kJwksRefetchInterval) co_return nullptr;
        s->last_refetch = now;
        s->refetch_in_flight = true;
        jwks_uri = s->metadata->jwks_uri;
        break;
      }
    }
    if (std::chrono::steady_clock::now() > give_up) co_return nullptr;
    boost::asio::steady_timer timer(s->executor, kRefetchPoll);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  // Clears the flag however this coroutine ends (cancellation may throw), or waiters would poll
  // until they give up on every later rotation.
  struct InFlight {
    State& s;
    ~InFlight() {
      std::lock_guard lock(s.mutex);
      s.refetch_in_flight = false;
    }
  } in_flight{*s};
  spdlog::info("oidc: a token names an unknown key; refetching the JWKS");
  auto fresh = co_await fetch_jwks(s, std::move(jwks_uri));
  if (!fresh) {
    logged(fresh.error());
    co_return nullptr;
  }
  {
    std::lock_guard lock(s->mutex);
    s->jwks = *fresh;
  }
  co_return *fresh;
}

}  // namespace gatehouse::oidc
