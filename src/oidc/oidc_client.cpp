#include "oidc/oidc_client.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "crypto/base64.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"
#include "http/client.hpp"
#include "jose/jwk.hpp"
#include "jose/jwt.hpp"
#include "oidc/url_encoding.hpp"

namespace gatehouse::oidc {

using JwksPtr = std::shared_ptr<const jose::Jwks>;
using MetadataPtr = std::shared_ptr<const ProviderMetadata>;

struct OidcClient::State {
  boost::asio::any_io_executor executor;
  ClientSettings settings;
  Clock clock;
  bool allow_http = false;  // the authority is loopback: a dev IdP may speak plain http

  mutable std::mutex mutex;  // guards everything below; never held across a co_await
  MetadataPtr metadata;      // written once, so metadata() can hand out a reference
  JwksPtr jwks;              // replaced whole; exchanges keep the snapshot they started with
  std::optional<std::chrono::system_clock::time_point> last_refetch;  // for an unknown kid
  bool refetch_in_flight = false;
  std::string last_error;

  std::pair<MetadataPtr, JwksPtr> snapshot() const {
    std::lock_guard lock(mutex);
    return {metadata, jwks};
  }

  void record(const Failure& failure) {
    spdlog::warn("oidc: {}", failure.detail);
    std::lock_guard lock(mutex);
    last_error = failure.detail;
  }

  // Records the failure and turns it into the code callers compare against.
  boost::system::error_code fail(const Failure& failure) {
    record(failure);
    return make_error_code(failure.code);
  }
};

namespace {

using State = OidcClient::State;
using boost::asio::awaitable;

// Bounded like the discovery document: JWKS and discovery are both small, public documents.
constexpr std::size_t kMaxDocumentBytes = std::max(kMaxDiscoveryBytes, jose::kMaxJwksBytes);
constexpr std::size_t kStateBytes = 32;     // 256 bits: state and nonce must be unguessable
constexpr std::size_t kVerifierBytes = 32;  // 43 base64url chars, RFC 7636 minimum length

http::ClientRequest base_request(const State& s, std::string url) {
  http::ClientRequest request;
  request.url = std::move(url);
  request.timeout = s.settings.http_timeout;
  request.ca_file = s.settings.ca_file;
  request.headers.emplace_back("Accept", "application/json");
  return request;
}

// GET a public JSON document; any failure becomes `code` with `what` naming the document.
awaitable<Outcome<std::string>> get_document(std::shared_ptr<State> s, std::string url,
                                             OidcErrc code, std::string what) {
  auto request = base_request(*s, std::move(url));
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

awaitable<Outcome<JwksPtr>> fetch_jwks(std::shared_ptr<State> s, std::string url) {
  auto body = co_await get_document(s, std::move(url), OidcErrc::jwks_failed, "jwks");
  if (!body) co_return body.error();
  auto jwks = jose::parse_jwks(*body);
  if (!jwks) {
    Failure failure{OidcErrc::jwks_failed, "jwks: " + jwks.error().message()};
    co_return failure;
  }
  // A JWKS we can verify nothing with would fail every login later, with a worse message.
  if (jwks->size() == 0) {
    Failure failure{OidcErrc::jwks_failed, "jwks: no usable signing key"};
    co_return failure;
  }
  co_return std::make_shared<const jose::Jwks>(std::move(*jwks));
}

// How often an exchange that found a refetch in flight looks whether it has finished. Polling
// (rather than a shared wake-up) keeps every timer owned by one coroutine, so no cross-thread
// timer use and no lost wake-up; this path only runs during a key rotation.
constexpr auto kRefetchPoll = std::chrono::milliseconds(20);

// The JWKS to retry an unknown kid with, or nullptr. When another exchange already refetched, or
// is refetching, its result is used, so a rotation under load costs one download and fails no
// login; otherwise refetch unless the last refetch was too recent.
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
    s->record(fresh.error());
    co_return nullptr;
  }
  {
    std::lock_guard lock(s->mutex);
    s->jwks = *fresh;
  }
  co_return *fresh;
}

// Provider capabilities that predict a failure later; worth a warning, not a refusal (the lists
// are optional and some providers publish incomplete ones).
void warn_about_capabilities(const ProviderMetadata& m, TokenAuth auth) {
  const auto lists = [](const std::vector<std::string>& v, std::string_view s) {
    return v.empty() || std::find(v.begin(), v.end(), s) != v.end();
  };
  const std::string_view method =
      auth == TokenAuth::client_secret_basic ? "client_secret_basic" : "client_secret_post";
  if (!lists(m.token_endpoint_auth_methods, method))
    spdlog::warn("oidc: provider does not list token endpoint auth method {}", method);
  if (!lists(m.code_challenge_methods, "S256"))
    spdlog::warn("oidc: provider does not list PKCE method S256");
}

void check_settings(const ClientSettings& s) {
  const auto authority = boost::urls::parse_absolute_uri(s.authority);
  const bool http = authority && authority->scheme_id() == boost::urls::scheme::http;
  if (!authority || !authority->has_authority() || authority->encoded_host().empty() ||
      (!http && authority->scheme_id() != boost::urls::scheme::https))
    throw std::invalid_argument("oidc.authority: must be an absolute http(s) URL");
  if (http && !is_loopback_url(s.authority))
    throw std::invalid_argument("oidc.authority: plain http is allowed on loopback hosts only");
  if (s.client_id.empty()) throw std::invalid_argument("oidc.client_id: must not be empty");
  if (s.redirect_uri.empty()) throw std::invalid_argument("oidc.redirect_uri: must not be empty");
  if (std::find(s.scopes.begin(), s.scopes.end(), "openid") == s.scopes.end())
    throw std::invalid_argument("oidc.scopes: must contain \"openid\"");
}

// Client authentication for the token and revocation endpoints (RFC 6749 2.3.1).
void authenticate(const ClientSettings& settings, http::ClientRequest& request, Params& params) {
  if (settings.token_auth == TokenAuth::client_secret_basic) {
    // RFC 6749 2.3.1: id and secret are form-encoded before Base64, so a ':' in either survives.
    const auto credentials =
        form_encode(settings.client_id) + ":" + form_encode(settings.client_secret);
    request.headers.emplace_back("Authorization", "Basic " + crypto::base64_encode(credentials));
  } else {
    params.emplace_back("client_id", settings.client_id);
    params.emplace_back("client_secret", settings.client_secret);
  }
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) {
    if (!out.empty()) out.push_back(' ');
    out += scope;
  }
  return out;
}

}  // namespace

OidcClient::OidcClient(boost::asio::any_io_executor executor, ClientSettings settings, Clock clock)
    : state_(std::make_shared<State>()) {
  check_settings(settings);
  state_->executor = std::move(executor);
  state_->allow_http = is_loopback_url(settings.authority);
  state_->settings = std::move(settings);
  state_->clock = clock ? std::move(clock) : Clock([] { return std::chrono::system_clock::now(); });
}

awaitable<boost::system::result<void>> OidcClient::load_metadata() {
  auto s = state_;  // the coroutine keeps the state alive even if the client goes away
  auto metadata = s->snapshot().first;
  if (!metadata) {
    const auto& authority = s->settings.authority;
    auto body =
        co_await get_document(s, discovery_url(authority), OidcErrc::discovery_failed, "discovery");
    if (!body) co_return s->fail(body.error());
    auto parsed = parse_discovery(*body, authority, s->allow_http);
    if (!parsed) co_return s->fail(parsed.error());
    warn_about_capabilities(*parsed, s->settings.token_auth);
    std::lock_guard lock(s->mutex);
    if (!s->metadata) s->metadata = std::make_shared<const ProviderMetadata>(std::move(*parsed));
    metadata = s->metadata;
  }
  auto jwks = co_await fetch_jwks(s, metadata->jwks_uri);
  if (!jwks) co_return s->fail(jwks.error());
  {
    std::lock_guard lock(s->mutex);
    s->jwks = *jwks;
  }
  spdlog::info("oidc: provider {} ready with {} signing keys", metadata->issuer, (*jwks)->size());
  co_return boost::system::result<void>();
}

bool OidcClient::ready() const {
  std::lock_guard lock(state_->mutex);
  return state_->metadata && state_->jwks;
}

const ProviderMetadata& OidcClient::metadata() const {
  auto metadata = state_->snapshot().first;
  if (!metadata) throw std::logic_error("OidcClient::metadata() before load_metadata()");
  return *metadata;  // never replaced once set, so the reference outlives this snapshot
}

LoginRequest OidcClient::begin_login(std::optional<std::string_view> prompt) const {
  const auto metadata = state_->snapshot().first;
  if (!metadata) throw std::logic_error("OidcClient::begin_login() before load_metadata()");
  const auto& s = state_->settings;
  LoginRequest login;
  login.state = crypto::random_token(kStateBytes);
  login.nonce = crypto::random_token(kStateBytes);
  login.code_verifier = crypto::random_token(kVerifierBytes);
  const auto challenge = crypto::base64url_encode(crypto::sha256(login.code_verifier));
  const auto scope = join_scopes(s.scopes);
  Params params{{"response_type", "code"},        {"client_id", s.client_id},
                {"redirect_uri", s.redirect_uri}, {"scope", scope},
                {"state", login.state},           {"nonce", login.nonce},
                {"code_challenge", challenge},    {"code_challenge_method", "S256"}};
  if (prompt) params.emplace_back("prompt", *prompt);
  login.url = append_query(metadata->authorization_endpoint, params);
  return login;
}

awaitable<boost::system::result<Tokens>> OidcClient::exchange_code(std::string code,
                                                                   std::string code_verifier,
                                                                   std::string expected_nonce) {
  auto s = state_;
  const auto [metadata, jwks] = s->snapshot();
  if (!metadata || !jwks) {
    const Failure failure{OidcErrc::not_ready, "token exchange before the provider was loaded"};
    co_return s->fail(failure);
  }
  const auto& settings = s->settings;

  auto request = base_request(*s, metadata->token_endpoint);
  request.method = "POST";
  request.max_body = kMaxTokenResponseBytes;
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Params params{{"grant_type", "authorization_code"},
                {"code", code},
                {"redirect_uri", settings.redirect_uri},
                {"code_verifier", code_verifier}};
  authenticate(settings, request, params);
  request.body = encode_params(params);

  auto response = co_await http::fetch(s->executor, std::move(request));
  if (!response) {
    const Failure failure{OidcErrc::token_request_failed,
                          "token endpoint: " + response.error().message()};
    co_return s->fail(failure);
  }
  if (response->status != 200) co_return s->fail(token_error(response->status, response->body));

  const auto now = s->clock();
  auto tokens = parse_token_response(response->body, now);
  if (!tokens) co_return s->fail(tokens.error());

  const jose::IdTokenCheck check{.issuer = metadata->issuer,
                                 .client_id = settings.client_id,
                                 .nonce = expected_nonce,
                                 .now = now,
                                 .max_skew = settings.clock_skew};
  auto claims = jose::validate_id_token(tokens->id_token, *jwks, check);
  if (!claims && claims.error() == jose::JoseErrc::key_not_found) {
    // The provider may have rotated its keys since we loaded them.
    const auto fresh = co_await jwks_for_unknown_kid(s, jwks);
    if (fresh) claims = jose::validate_id_token(tokens->id_token, *fresh, check);
  }
  if (!claims) {
    const Failure failure{OidcErrc::invalid_id_token, "id token: " + claims.error().message()};
    co_return s->fail(failure);
  }
  tokens->id_token_claims = std::move(*claims);
  co_return std::move(*tokens);
}

awaitable<Outcome<LogoutToken>> OidcClient::validate_logout_token(std::string token) {
  auto s = state_;
  const auto [metadata, jwks] = s->snapshot();
  if (!metadata || !jwks) {
    const Failure failure{OidcErrc::not_ready, "logout token before the provider was loaded"};
    s->record(failure);
    co_return failure;
  }
  auto jws = jose::parse_jws(token);
  if (!jws) {
    const Failure failure{OidcErrc::invalid_logout_token, "logout token: " + jws.error().message()};
    s->record(failure);
    co_return failure;
  }
  const LogoutTokenCheck check{.issuer = metadata->issuer,
                               .client_id = s->settings.client_id,
                               .now = s->clock(),
                               .max_skew = s->settings.clock_skew};
  auto validated = oidc::validate_logout_token(*jws, *jwks, check);
  if (!validated && jwks->select(jws->kid, jws->alg).error() == jose::JoseErrc::key_not_found) {
    // The provider may have rotated its keys since we loaded them.
    const auto fresh = co_await jwks_for_unknown_kid(s, jwks);
    if (fresh) validated = oidc::validate_logout_token(*jws, *fresh, check);
  }
  if (!validated) s->record(validated.error());
  co_return validated;
}

bool OidcClient::can_revoke() const {
  const auto metadata = state_->snapshot().first;
  return metadata && metadata->revocation_endpoint;
}

awaitable<boost::system::result<void>> OidcClient::revoke_refresh_token(std::string token) {
  auto s = state_;
  const auto metadata = s->snapshot().first;
  if (!metadata) {
    const Failure failure{OidcErrc::not_ready, "revocation before the provider was loaded"};
    co_return s->fail(failure);
  }
  if (!metadata->revocation_endpoint) {
    const Failure failure{OidcErrc::revocation_failed, "provider has no revocation endpoint"};
    co_return s->fail(failure);
  }
  auto request = base_request(*s, *metadata->revocation_endpoint);
  request.method = "POST";
  request.max_body = kMaxTokenResponseBytes;
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  Params params{{"token", token}, {"token_type_hint", "refresh_token"}};
  authenticate(s->settings, request, params);
  request.body = encode_params(params);
  auto response = co_await http::fetch(s->executor, std::move(request));
  if (!response) {
    const Failure failure{OidcErrc::revocation_failed,
                          "revocation endpoint: " + response.error().message()};
    co_return s->fail(failure);
  }
  // RFC 7009 2.2: 200 also for a token that was already invalid; anything else is a failure.
  if (response->status != 200) {
    const Failure failure{OidcErrc::revocation_failed,
                          "revocation endpoint: HTTP " + std::to_string(response->status)};
    co_return s->fail(failure);
  }
  co_return boost::system::result<void>();
}

std::optional<std::string> OidcClient::end_session_url(std::string_view id_token_hint,
                                                       std::string_view post_logout_redirect_uri,
                                                       std::string_view state) const {
  const auto metadata = state_->snapshot().first;
  if (!metadata || !metadata->end_session_endpoint) return std::nullopt;
  Params params;
  if (!id_token_hint.empty()) params.emplace_back("id_token_hint", id_token_hint);
  if (!post_logout_redirect_uri.empty())
    params.emplace_back("post_logout_redirect_uri", post_logout_redirect_uri);
  if (!state.empty()) params.emplace_back("state", state);
  params.emplace_back("client_id", state_->settings.client_id);
  return append_query(*metadata->end_session_endpoint, params);
}

std::string OidcClient::last_error() const {
  std::lock_guard lock(state_->mutex);
  return state_->last_error;
}

const ClientSettings& OidcClient::settings() const {
  return state_->settings;
}

}  // namespace gatehouse::oidc
