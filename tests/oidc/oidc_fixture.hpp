// Test support: an OidcClient wired to a FakeProvider, with a hand-moved clock and helpers to
// mint ID tokens with the JOSE test keys.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "crypto/dpop_key.hpp"
#include "fake_provider.hpp"
#include "http/message.hpp"
#include "jose/test_keys.hpp"
#include "oidc/oidc_client.hpp"
#include "support/run.hpp"

namespace gatehouse::oidc::testing {

// A client id and secret that need form encoding (RFC 6749 §2.3.1).
inline constexpr const char* kClientId = "gate:house";
inline constexpr const char* kSecret = "s3cr\xC3\xA9t+/=:%";
inline constexpr const char* kNonce = "nonce-from-begin-login";

// The value of `name` in a form body or query; nullopt when absent or malformed.
inline std::optional<std::string> form_value(std::string_view form, std::string_view name) {
  const auto fields = http::parse_form(form);
  if (!fields) return std::nullopt;
  for (const auto& [n, v] : *fields)
    if (n == name) return v;
  return std::nullopt;
}

class OidcFixture : public ::testing::Test {
 protected:
  ClientSettings settings(TokenAuth auth = TokenAuth::client_secret_basic) const {
    ClientSettings s;
    s.authority = provider_.issuer();
    s.client_id = kClientId;
    s.client_secret = kSecret;
    s.scopes = {"openid", "profile"};
    s.token_auth = auth;
    s.redirect_uri = "https://app.example/signin-oidc";
    s.http_timeout = std::chrono::milliseconds(2000);
    return s;
  }

  OidcClient client(TokenAuth auth = TokenAuth::client_secret_basic) {
    return OidcClient(io_.get_executor(), settings(auth), clock_.clock());
  }

  // A loaded client with settings.dpop on, signing with dpop_key_.
  OidcClient ready_dpop_client() {
    auto s = settings();
    s.dpop = true;
    OidcClient c(io_.get_executor(), s, clock_.clock(), dpop_key_);
    const auto loaded = load(c);
    EXPECT_TRUE(loaded) << loaded.error().detail;
    return c;
  }

  Outcome<void> load(OidcClient& c) { return gatehouse::testing::run(io_, c.load_metadata()); }

  Outcome<Tokens> exchange(OidcClient& c, std::string code = "the-code",
                           std::string verifier = "the-verifier", std::string nonce = kNonce) {
    return gatehouse::testing::run(
        io_, c.exchange_code(std::move(code), std::move(verifier), std::move(nonce)));
  }

  Outcome<Tokens> refresh(OidcClient& c, std::string refresh_token = "rt-456",
                          std::optional<std::string> resource = std::nullopt,
                          std::string subject = "alice") {
    return gatehouse::testing::run(
        io_, c.refresh_tokens(std::move(refresh_token), std::move(resource), std::move(subject)));
  }

  Outcome<Tokens> client_credentials(OidcClient& c, std::vector<std::string> scopes = {},
                                     std::optional<std::string> resource = std::nullopt) {
    return gatehouse::testing::run(io_,
                                   c.client_credentials(std::move(scopes), std::move(resource)));
  }

  // An OidcClient already loaded against the provider.
  OidcClient ready_client(TokenAuth auth = TokenAuth::client_secret_basic) {
    auto c = client(auth);
    const auto loaded = load(c);
    EXPECT_TRUE(loaded) << loaded.error().detail;
    return c;
  }

  boost::json::object claims(std::string_view nonce = kNonce) const {
    const auto now = clock_.seconds();
    return {{"iss", provider_.issuer()}, {"aud", kClientId}, {"sub", "alice"},
            {"exp", now + 300},          {"iat", now - 10},  {"nonce", nonce}};
  }

  static std::string sign(const boost::json::object& payload, EVP_PKEY* key = nullptr,
                          const char* kid = "rsa-1") {
    const auto& keys = jose::testing::test_keys();
    return jose::testing::sign_jwt({}, payload, key ? key : keys.rsa.get(), "RS256", kid);
  }

  boost::asio::io_context io_;
  TestClock clock_;
  FakeProvider provider_;
  std::shared_ptr<const crypto::DpopKey> dpop_key_ = crypto::DpopKey::generate(0);
};

}  // namespace gatehouse::oidc::testing
