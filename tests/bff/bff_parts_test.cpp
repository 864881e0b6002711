#include "bff/cookies.hpp"
#include "bff/flow_state.hpp"
#include "bff/return_url.hpp"
#include "bff/user_claims.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace gatehouse::bff {
namespace {

TEST(ReturnUrl, OnlyLocalPathsAreAccepted) {
  for (const char* ok : {"/", "/app", "/a/b?c=d#e", "/%2F%2Fevil.example"})
    EXPECT_TRUE(is_local_return_url(ok)) << ok;
  for (const char* bad : {"", "//evil.example", "/\\evil.example", "https://evil.example/",
                          "http:x", "evil", "/a\\b", "/a\r\nSet-Cookie: x", "/a\tb", "/\x7f"})
    EXPECT_FALSE(is_local_return_url(bad)) << bad;
  EXPECT_FALSE(is_local_return_url(std::string("/a\0b", 4)));
  EXPECT_FALSE(is_local_return_url("/" + std::string(3000, 'a')));
}

TEST(Cookies, SessionCookieAttributes) {
  CookiePolicy policy{"__Host-gatehouse", true, "Strict"};
  EXPECT_EQ(set_cookie(policy, "__Host-gatehouse", "v", std::chrono::seconds(60)),
            "__Host-gatehouse=v; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Strict");
  EXPECT_EQ(set_cookie(policy, "f", "v", std::chrono::seconds(1), "Lax"),
            "f=v; Path=/; Max-Age=1; HttpOnly; Secure; SameSite=Lax");
  EXPECT_EQ(clear_cookie(policy, "f"), "f=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
}

TEST(FlowState, IsBoundToStateKindAndTime) {
  auto keys = crypto::KeyRing::generate();
  FlowState flow{"/back", "verifier", "nonce", 1000};
  auto sealed = seal_flow(keys, FlowKind::login, "state-1", flow);
  auto opened = open_flow(keys, FlowKind::login, "state-1", sealed, 1100);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->return_url, "/back");
  EXPECT_EQ(opened->code_verifier, "verifier");
  EXPECT_EQ(opened->nonce, "nonce");
  EXPECT_FALSE(open_flow(keys, FlowKind::login, "state-2", sealed, 1100));
  EXPECT_FALSE(open_flow(keys, FlowKind::logout, "state-1", sealed, 1100));
  EXPECT_FALSE(open_flow(keys, FlowKind::login, "state-1", sealed, 1000 + 601));
  EXPECT_FALSE(open_flow(keys, FlowKind::login, "state-1", sealed, 999));
  auto tampered = sealed;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(open_flow(keys, FlowKind::login, "state-1", tampered, 1100));
  EXPECT_FALSE(open_flow(keys, FlowKind::login, "state-1", "not base64!", 1100));
  EXPECT_FALSE(open_flow(crypto::KeyRing::generate(), FlowKind::login, "state-1", sealed, 1100));
}

TEST(UserClaims, DropsProtocolClaimsAndAddsBffClaims) {
  auto claims = boost::json::parse(R"({"sub":"alice","name":"Alice","aud":"x","nonce":"n",
      "exp":1,"iat":1,"iss":"i","amr":["pwd","otp"],"email_verified":true,"address":{"c":"NL"}})")
                    .as_object();
  auto out = boost::json::parse(user_claims_json(claims, "/bff/logout?sid=s1", 1799)).as_array();
  std::vector<std::pair<std::string, std::string>> got;
  for (auto& c : out)
    got.emplace_back(c.at("type").as_string().c_str(), boost::json::serialize(c.at("value")));
  std::vector<std::pair<std::string, std::string>> want = {
      {"sub", "\"alice\""},
      {"name", "\"Alice\""},
      {"amr", "\"pwd\""},
      {"amr", "\"otp\""},
      {"email_verified", "true"},
      {"address", "\"{\\\"c\\\":\\\"NL\\\"}\""},
      {"bff:logout_url", "\"/bff/logout?sid=s1\""},
      {"bff:session_expires_in", "1799"}};
  EXPECT_EQ(got, want);
}

TEST(UserClaims, RenderedInTwoPartsIsTheSameDocument) {
  auto claims = boost::json::parse(R"({"sub":"al\"ice","n":1.5,"e":[],"o":{}})").as_object();
  const auto prefix = user_claims_prefix(claims, "/bff/logout?sid=a%20b");
  for (std::int64_t left : {0, 1, 1799, -3, 28'800}) {
    const auto whole = complete_user_claims(prefix, left);
    EXPECT_EQ(whole, user_claims_json(claims, "/bff/logout?sid=a%20b", left));
    auto parsed = boost::json::parse(whole).as_array();
    EXPECT_EQ(parsed.back().at("value").as_int64(), left);
    // What a single serialization of the whole array gives, byte for byte.
    parsed.back().as_object()["value"] = left;
    EXPECT_EQ(whole, boost::json::serialize(parsed));
  }
}

}  // namespace
}  // namespace gatehouse::bff
