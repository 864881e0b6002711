// Internal: what the OidcClient's parts share — its state, the request every provider call starts
// from, and the JWKS refetch for an unknown kid. Not for use outside src/oidc/.
#pragma once

#include <spdlog/spdlog.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "http/client.hpp"
#include "jose/jwk.hpp"
#include "oidc/oidc_client.hpp"

namespace gatehouse::oidc {

using JwksPtr = std::shared_ptr<const jose::Jwks>;
using MetadataPtr = std::shared_ptr<const ProviderMetadata>;

struct OidcClient::State {
  boost::asio::any_io_executor executor;
  ClientSettings settings;
  Clock clock;
  bool allow_http = false;  // the authority is loopback: a dev IdP may speak http

  mutable std::mutex mutex;  // guards everything below; never held across a co_await
  // Set exactly when settings.dpop; replaced whole when the key ring's DPoP key changes (a
  // request keeps the proofs it started with).
  std::shared_ptr<const DpopProofs> dpop;
  MetadataPtr metadata;  // written once, so metadata() can hand out a reference
  JwksPtr jwks;          // replaced whole; exchanges keep the snapshot they started with
  std::optional<Timestamp> last_refetch;  // for an unknown kid
  bool refetch_in_flight = false;
  std::optional<std::string> token_endpoint_nonce;  // the latest DPoP-Nonce it sent (RFC 9449 8)

  std::pair<MetadataPtr, JwksPtr> snapshot() const {
    std::lock_guard lock(mutex);
    return {metadata, jwks};
  }
  std::shared_ptr<const DpopProofs> dpop_proofs() const {
    std::lock_guard lock(mutex);
    return dpop;
  }
  std::optional<std::string> dpop_nonce() const {
    std::lock_guard lock(mutex);
    return token_endpoint_nonce;
  }
  void remember_dpop_nonce(std::string nonce) {
    std::lock_guard lock(mutex);
    token_endpoint_nonce = std::move(nonce);
  }
};

// Every failure the client returns is logged here too, so callers that only count failures (the
// token revoker) still leave a reason in the log.
inline Failure logged(Failure failure) {
  spdlog::warn("oidc: {}", failure.detail);
  return failure;
}

// A request to one of the provider's endpoints: its timeout and CA, JSON accepted.
inline http::ClientRequest provider_request(const OidcClient::State& s, std::string url) {
  http::ClientRequest request;
  request.url = std::move(url);
  request.timeout = s.settings.http_timeout;
  request.ca_file = s.settings.ca_file;
  request.headers.emplace_back("Accept", "application/json");
  return request;
}

// provider_keys.cpp: the JWKS to retry a token naming an unknown kid with, or nullptr (another
// exchange's refetch is reused; a fresh one at most every kJwksRefetchInterval).
boost::asio::awaitable<JwksPtr> jwks_for_unknown_kid(std::shared_ptr<OidcClient::State> s,
                                                     JwksPtr used);

}  // namespace gatehouse::oidc
