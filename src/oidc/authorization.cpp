// The browser's trips to the provider: the authorization request (code + PKCE S256 + state +
// nonce) and the RP-initiated logout URL.
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/base64.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"
#include "oidc/client_state.hpp"
#include "oidc/url_encoding.hpp"

namespace gatehouse::oidc {
namespace {

constexpr std::size_t kStateBytes = 32;     // 256 bits: state and nonce must be unguessable
constexpr std::size_t kVerifierBytes = 32;  // 43 base64url chars, RFC 7636 minimum length

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) {
    if (!out.empty()) out.push_back(' ');
    out += scope;
  }
  return out;
}

}  // namespace

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

}  // namespace gatehouse::oidc
