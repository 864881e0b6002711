// The pure parts: discovery checks, token response checks, URL and form encoding.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "oidc/provider_metadata.hpp"
#include "oidc/token_response.hpp"
#include "oidc/url_encoding.hpp"

namespace gatehouse::oidc {
namespace {

using namespace std::chrono_literals;
using boost::json::object;

object discovery(const std::string& base) {
  return {{"issuer", base},
          {"authorization_endpoint", base + "/authorize"},
          {"token_endpoint", base + "/token"},
          {"jwks_uri", base + "/jwks"}};
}

// The failure's code; OidcErrc{} (0, the OIDC category) for a success.
boost::system::error_code discovery_error(const object& doc, bool allow_http = false) {
  const auto r = parse_discovery(boost::json::serialize(doc), "https://idp.example", allow_http);
  return r ? make_error_code(OidcErrc{}) : r.error().code;
}

TEST(OidcDiscovery, ValidDocument) {
  auto doc = discovery("https://idp.example");
  doc["end_session_endpoint"] = "https://idp.example/logout";
  doc["revocation_endpoint"] = "https://idp.example/revoke";
  const auto r = parse_discovery(boost::json::serialize(doc), "https://idp.example", false);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->jwks_uri, "https://idp.example/jwks");
  EXPECT_EQ(r->revocation_endpoint, "https://idp.example/revoke");
  EXPECT_FALSE(r->userinfo_endpoint);
  EXPECT_FALSE(r->iss_parameter_supported);
}

TEST(OidcDiscovery, EndpointsMustBeHttpsUnlessLoopback) {
  auto doc = discovery("https://idp.example");
  doc["token_endpoint"] = "http://idp.example/token";
  EXPECT_EQ(discovery_error(doc), OidcErrc::discovery_failed);
  EXPECT_EQ(discovery_error(doc, true), OidcErrc{});
  doc["token_endpoint"] = "/token";  // relative
  EXPECT_EQ(discovery_error(doc, true), OidcErrc::discovery_failed);
  doc = discovery("https://idp.example");
  doc["end_session_endpoint"] = "javascript:alert(1)";
  EXPECT_EQ(discovery_error(doc), OidcErrc::discovery_failed);
}

TEST(OidcDiscovery, RequiredFieldsAndIssuer) {
  for (const char* field : {"authorization_endpoint", "token_endpoint", "jwks_uri"}) {
    auto doc = discovery("https://idp.example");
    doc.erase(field);
    EXPECT_EQ(discovery_error(doc), OidcErrc::discovery_failed) << field;
  }
  auto doc = discovery("https://idp.example");
  doc.erase("issuer");
  EXPECT_EQ(discovery_error(doc), OidcErrc::discovery_failed);
  EXPECT_EQ(discovery_error(discovery("https://IDP.example")), OidcErrc::issuer_mismatch);
  EXPECT_EQ(discovery_error(discovery("https://idp.example/")), OidcErrc::issuer_mismatch);
  const auto array = parse_discovery("[]", "https://idp.example", false);
  ASSERT_FALSE(array);
  EXPECT_EQ(array.error().code, OidcErrc::discovery_failed);
}

TEST(OidcDiscovery, LoopbackAndUrl) {
  EXPECT_TRUE(is_loopback_url("http://127.0.0.1:8080"));
  EXPECT_TRUE(is_loopback_url("http://127.1.2.3/x"));
  EXPECT_TRUE(is_loopback_url("http://[::1]:9000"));
  EXPECT_TRUE(is_loopback_url("http://LocalHost:9000"));
  EXPECT_FALSE(is_loopback_url("http://128.0.0.1"));
  EXPECT_FALSE(is_loopback_url("http://localhost.evil.example"));
  EXPECT_FALSE(is_loopback_url("not a url"));
  EXPECT_EQ(discovery_url("https://idp.example/realms/x/"),
            "https://idp.example/realms/x/.well-known/openid-configuration");
  EXPECT_EQ(discovery_url("https://idp.example"),
            "https://idp.example/.well-known/openid-configuration");
}

const auto kNow = std::chrono::system_clock::time_point(1'800'000'000s);

boost::system::error_code token_response_error(std::string_view body) {
  const auto r = parse_token_response(body, kNow);
  return r ? make_error_code(OidcErrc{}) : r.error().code;
}

TEST(OidcTokenResponse, Checks) {
  const auto ok = parse_token_response(
      R"({"access_token":"a","token_type":"bearer","id_token":"i","expires_in":60.5,"scope":"openid"})",
      kNow);
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->access_token_expires_at, kNow + 60500ms);
  EXPECT_FALSE(ok->refresh_token);
  EXPECT_EQ(ok->scope, "openid");

  const auto no_expiry =
      parse_token_response(R"({"access_token":"a","token_type":"Bearer","id_token":"i"})", kNow);
  ASSERT_TRUE(no_expiry);
  EXPECT_FALSE(no_expiry->access_token_expires_at);

  for (const char* bad : {
           R"({"access_token":"a","id_token":"i"})",
           R"({"access_token":"a","token_type":"MAC","id_token":"i"})",
           R"({"access_token":"","token_type":"Bearer","id_token":"i"})",
           R"({"access_token":"a","token_type":"Bearer"})",
           R"({"access_token":"a","token_type":"Bearer","id_token":"i","expires_in":"3600"})",
           R"({"access_token":"a","token_type":"Bearer","id_token":"i","expires_in":-1})",
           R"({"access_token":"a","token_type":"Bearer","id_token":"i","refresh_token":7})",
           "not json",
       })
    EXPECT_EQ(token_response_error(bad), OidcErrc::invalid_token_response) << bad;
}

TEST(OidcTokenResponse, RulesForEachGrant) {
  const auto parse = [](std::string_view body, TokenResponseRules rules) {
    return parse_token_response(body, kNow, rules);
  };
  const TokenResponseRules optional{.id_token = IdTokenRule::optional};
  const TokenResponseRules ignored{.id_token = IdTokenRule::ignored};
  const TokenResponseRules dpop{.id_token = IdTokenRule::ignored, .binding = TokenBinding::dpop};
  const auto no_id = parse(R"({"access_token":"a","token_type":"Bearer"})", optional);
  ASSERT_TRUE(no_id) << no_id.error().detail;
  EXPECT_TRUE(no_id->id_token.empty());
  EXPECT_TRUE(parse(R"({"access_token":"a","token_type":"Bearer","id_token":null})", optional));
  EXPECT_EQ(
      parse(R"({"access_token":"a","token_type":"Bearer","id_token":""})", optional).error().code,
      OidcErrc::invalid_token_response);
  EXPECT_EQ(
      parse(R"({"access_token":"a","token_type":"Bearer","id_token":7})", optional).error().code,
      OidcErrc::invalid_token_response);
  const auto skipped = parse(R"({"access_token":"a","token_type":"bearer","id_token":7})", ignored);
  ASSERT_TRUE(skipped);
  EXPECT_TRUE(skipped->id_token.empty());
  EXPECT_EQ(skipped->token_type, "Bearer");

  const auto bound = parse(R"({"access_token":"a","token_type":"dPoP"})", dpop);
  ASSERT_TRUE(bound) << bound.error().detail;
  EXPECT_EQ(bound->token_type, "DPoP");
  const auto bearer = parse(R"({"access_token":"a","token_type":"Bearer"})", dpop);
  ASSERT_FALSE(bearer);
  EXPECT_NE(bearer.error().detail.find("oidc.dpop"), std::string::npos) << bearer.error().detail;
  EXPECT_FALSE(parse(R"({"access_token":"a"})", dpop));
  EXPECT_FALSE(parse(R"({"access_token":"a","token_type":"DPoP"})", ignored));
  // Two access tokens under one name: which one would a second parser use?
  EXPECT_EQ(token_response_error(
                R"({"access_token":"a","access_token":"b","token_type":"Bearer","id_token":"i"})"),
            OidcErrc::invalid_token_response);
}

TEST(OidcTokenResponse, ErrorResponses) {
  auto e = token_error(400, R"({"error":"invalid_client"})");
  EXPECT_EQ(e.code, OidcErrc::token_error_response);
  EXPECT_NE(e.detail.find("invalid_client"), std::string::npos);
  e = token_error(500, "");
  EXPECT_EQ(e.code, OidcErrc::token_request_failed);
  EXPECT_EQ(token_error(400, R"({"error":"invalid_grant"})").code, OidcErrc::grant_rejected);
  EXPECT_EQ(token_error(401, R"({"error":"invalid_client"})").code, OidcErrc::token_error_response);
  for (const int status : {429, 500, 502, 503, 504})
    EXPECT_EQ(token_error(status, R"({"error":"invalid_grant"})").code,
              OidcErrc::token_request_failed)
        << status;
  EXPECT_EQ(token_error(400, "<html>").code, OidcErrc::token_request_failed);
  EXPECT_EQ(oauth_error_code(R"({"error":"use_dpop_nonce"})"), "use_dpop_nonce");
  EXPECT_FALSE(oauth_error_code(R"({"error":""})"));
  EXPECT_FALSE(oauth_error_code("not json"));
  EXPECT_EQ(loggable("a\nb\x01", 10), "a?b?");
  EXPECT_EQ(loggable("abcdef", 3), "abc...");
}

TEST(OidcUrlEncoding, FormEncodeAndQueries) {
  EXPECT_EQ(form_encode("aZ09-._~ +/?&=%\xC3\xA9"), "aZ09-._~%20%2B%2F%3F%26%3D%25%C3%A9");
  EXPECT_EQ(append_query("https://idp/a", {{"x", "1"}, {"y", "a b"}}), "https://idp/a?x=1&y=a%20b");
  EXPECT_EQ(append_query("https://idp/a?p=policy", {{"x", "1"}}), "https://idp/a?p=policy&x=1");
  EXPECT_EQ(append_query("https://idp/a?", {{"x", "1"}}), "https://idp/a?x=1");
  EXPECT_EQ(append_query("https://idp/a", {}), "https://idp/a");
}

}  // namespace
}  // namespace gatehouse::oidc
