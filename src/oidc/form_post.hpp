// Internal: the one way the client POSTs a form to the provider with client authentication
// (RFC 6749 2.3.1): the token endpoint (code exchange, refresh, client credentials) and the
// revocation endpoint (RFC 7009). Client authentication, Content-Type, the response bound, the
// DPoP proof and nonce retry (RFC 9449 8), and the mapping of failures to codes live here.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>

#include "oidc/client_state.hpp"
#include "oidc/url_encoding.hpp"

namespace gatehouse::oidc {

// Which kind of endpoint: it decides how a failure is reported, and whether DPoP applies.
enum class FormEndpoint {
  token,       // failures as token_error() maps them; a DPoP proof when settings.dpop
  revocation,  // anything but 200 (RFC 7009 2.2): revocation_failed
};

// POSTs `params` plus the client's authentication to `url`; the 200 response's body (at most
// kMaxTokenResponseBytes), or the failure with a detail naming the endpoint. At the token
// endpoint with DPoP on: a proof (htm POST, htu `url`, the last nonce the endpoint sent), and one
// retry with the new nonce when the answer is 400 use_dpop_nonce with a DPoP-Nonce header. The
// params may view the caller's strings: they are encoded before the first suspension.
boost::asio::awaitable<Outcome<std::string>> post_form(std::shared_ptr<OidcClient::State> s,
                                                       FormEndpoint endpoint, std::string url,
                                                       Params params);

}  // namespace gatehouse::oidc
