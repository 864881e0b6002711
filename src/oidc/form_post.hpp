// Internal: the one way the client POSTs a form to the provider with client authentication
// (RFC 6749 2.3.1): the token endpoint (code exchange; refresh and client credentials next) and the
// revocation endpoint (RFC 7009). Client authentication, Content-Type, the response bound and the
// mapping of failures to codes live here, so a new grant (or a DPoP proof header) is added once.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>

#include "oidc/client_state.hpp"
#include "oidc/url_encoding.hpp"

namespace gatehouse::oidc {

// Which kind of endpoint: it decides how a failure is reported.
enum class FormEndpoint {
  token,       // transport or non-OAuth status: token_request_failed; RFC 6749 5.2 error object:
               // token_error_response
  revocation,  // anything but 200 (RFC 7009 2.2): revocation_failed
};

// POSTs `params` plus the client's authentication to `url`; the 200 response's body (at most
// kMaxTokenResponseBytes), or the failure with a detail naming the endpoint. The params may view
// the caller's strings: they are encoded before the first suspension.
boost::asio::awaitable<Outcome<std::string>> post_form(std::shared_ptr<OidcClient::State> s,
                                                       FormEndpoint endpoint, std::string url,
                                                       Params params);

}  // namespace gatehouse::oidc
