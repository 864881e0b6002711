// Construction, settings and the state the other parts share; each operation has its own file:
// provider_keys.cpp, authorization.cpp, code_exchange.cpp, refresh.cpp, client_credentials.cpp
// (all three through token_request.cpp and form_post.cpp), logout_token_check.cpp, revocation.cpp.
#include "oidc/oidc_client.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "oidc/client_state.hpp"

namespace gatehouse::oidc {
namespace {

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

}  // namespace

OidcClient::OidcClient(boost::asio::any_io_executor executor, ClientSettings settings, Clock clock)
    : OidcClient(std::move(executor), std::move(settings), std::move(clock), nullptr) {}

OidcClient::OidcClient(boost::asio::any_io_executor executor, ClientSettings settings, Clock clock,
                       std::shared_ptr<const crypto::DpopKey> dpop_key)
    : state_(std::make_shared<State>()) {
  check_settings(settings);
  if (settings.dpop && !dpop_key)
    throw std::invalid_argument("oidc.dpop: DPoP needs the key ring's DPoP key");
  state_->executor = std::move(executor);
  state_->allow_http = is_loopback_url(settings.authority);
  state_->settings = std::move(settings);
  state_->clock = clock ? std::move(clock) : system_clock();
  if (state_->settings.dpop)
    state_->dpop = std::make_shared<const DpopProofs>(std::move(dpop_key), state_->clock);
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

const ClientSettings& OidcClient::settings() const {
  return state_->settings;
}

std::shared_ptr<const DpopProofs> OidcClient::dpop() const {
  return state_->dpop_proofs();
}

void OidcClient::use_dpop_key(std::shared_ptr<const crypto::DpopKey> key) {
  if (!key) throw std::invalid_argument("OidcClient::use_dpop_key: no DPoP key");
  if (!state_->settings.dpop) return;
  auto proofs = std::make_shared<const DpopProofs>(std::move(key), state_->clock);
  std::lock_guard lock(state_->mutex);
  state_->dpop = std::move(proofs);
}

}  // namespace gatehouse::oidc
