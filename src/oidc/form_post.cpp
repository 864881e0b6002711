#include "oidc/form_post.hpp"

#include <string_view>
#include <utility>

#include "crypto/base64.hpp"
#include "oidc/dpop.hpp"
#include "oidc/token_response.hpp"

namespace gatehouse::oidc {
namespace {

// RFC 6749 2.3.1, the same for every endpoint the client authenticates at.
void authenticate(const ClientSettings& settings, http::ClientRequest& request, Params& params) {
  if (settings.token_auth == TokenAuth::client_secret_basic) {
    // Id and secret are form-encoded before Base64, so a ':' in either survives.
    const auto credentials =
        form_encode(settings.client_id) + ":" + form_encode(settings.client_secret);
    request.headers.emplace_back("Authorization", "Basic " + crypto::base64_encode(credentials));
  } else {
    params.emplace_back("client_id", settings.client_id);
    params.emplace_back("client_secret", settings.client_secret);
  }
}

std::string_view name_of(FormEndpoint endpoint) {
  return endpoint == FormEndpoint::token ? "token endpoint" : "revocation endpoint";
}

Failure transport_failure(FormEndpoint endpoint, const boost::system::error_code& ec) {
  const auto code = endpoint == FormEndpoint::token ? OidcErrc::token_request_failed
                                                    : OidcErrc::revocation_failed;
  return {code, std::string(name_of(endpoint)) + ": " + ec.message()};
}

Failure status_failure(FormEndpoint endpoint, const http::ClientResponse& response) {
  if (endpoint == FormEndpoint::token) return token_error(response.status, response.body);
  return {OidcErrc::revocation_failed,
          std::string(name_of(endpoint)) + ": HTTP " + std::to_string(response.status)};
}

// RFC 9449 8: the server may send a fresh nonce with any answer, and asks for one with
// 400 use_dpop_nonce. Only a nonce we may put into a JWT is kept.
std::optional<std::string> offered_nonce(const http::ClientResponse& response) {
  const auto nonce = response.header("DPoP-Nonce");
  if (!nonce || !valid_dpop_nonce(*nonce)) return std::nullopt;
  return std::string(*nonce);
}

bool asks_for_nonce(const http::ClientResponse& response) {
  return response.status == 400 && oauth_error_code(response.body) == "use_dpop_nonce";
}

}  // namespace

boost::asio::awaitable<Outcome<std::string>> post_form(std::shared_ptr<OidcClient::State> s,
                                                       FormEndpoint endpoint, std::string url,
                                                       Params params) {
  auto form = provider_request(*s, std::move(url));
  form.method = "POST";
  form.max_body = kMaxTokenResponseBytes;
  form.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  authenticate(s->settings, form, params);
  form.body = encode_params(params);
  const auto dpop = endpoint == FormEndpoint::token ? s->dpop_proofs() : nullptr;

  for (int attempt = 0;; ++attempt) {
    auto request = form;
    const auto nonce = dpop ? s->dpop_nonce() : std::nullopt;
    if (dpop) request.headers.emplace_back("DPoP", dpop->proof("POST", request.url, {}, nonce));
    auto response = co_await http::fetch(s->executor, std::move(request));
    if (!response) co_return transport_failure(endpoint, response.error());
    if (dpop) {
      const auto fresh = offered_nonce(*response);
      if (fresh) s->remember_dpop_nonce(*fresh);
      if (attempt == 0 && fresh && fresh != nonce && asks_for_nonce(*response)) continue;
    }
    if (response->status != 200) co_return status_failure(endpoint, *response);
    co_return std::move(response->body);
  }
}

}  // namespace gatehouse::oidc
