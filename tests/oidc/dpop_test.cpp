// DPoP (RFC 9449): the proofs themselves, parsed back with our JOSE code, and the client's token
// requests carrying them, with the use_dpop_nonce retry and the nonce kept for the next request.
#include "oidc/dpop.hpp"

#include <boost/json/serialize.hpp>

#include <set>
#include <thread>
#include <vector>

#include "crypto/base64.hpp"
#include "crypto/digest.hpp"
#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "jose/jws_sign.hpp"
#include "oidc_fixture.hpp"

namespace gatehouse::oidc {
namespace {

using namespace std::chrono_literals;
using boost::json::object;
using DpopClientTest = testing::OidcFixture;

std::optional<std::string> header(const http::Fields& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (http::iequals(n, name)) return v;
  return std::nullopt;
}

// The proof's claims once its header and signature check out as RFC 9449 4.2-4.3 want: typ
// dpop+jwt, ES256, the public key of `proofs` in jwk (and nothing private), verified by it.
object verified_claims(const std::string& proof, const DpopProofs& proofs) {
  auto jws = jose::parse_jws(proof);
  EXPECT_TRUE(jws) << proof;
  if (!jws) return {};
  EXPECT_EQ(jws->typ, "dpop+jwt");
  EXPECT_EQ(jws->alg, jose::JwsAlg::es256);
  EXPECT_TRUE(jws->kid.empty());
  const auto* jwk = jws->header.if_contains("jwk");
  EXPECT_TRUE(jwk && jwk->is_object());
  if (!jwk || !jwk->is_object()) return {};
  EXPECT_FALSE(jwk->as_object().contains("d"));
  EXPECT_EQ(jwk->as_object(), proofs.public_jwk());
  EXPECT_EQ(jose::jwk_thumbprint(jwk->as_object()), proofs.thumbprint());
  const auto keys =
      jose::parse_jwks(boost::json::serialize(object{{"keys", boost::json::array{*jwk}}}));
  EXPECT_TRUE(keys && keys->size() == 1);
  if (!keys || keys->size() != 1) return {};
  const auto verified = jose::verify(*jws, keys->keys()[0]);
  EXPECT_TRUE(verified) << verified.error().message();
  return jws->payload;
}

TEST(DpopProofs, ClaimsAndSignature) {
  testing::TestClock clock;
  const DpopProofs proofs(crypto::DpopKey::generate(0), clock.clock());
  const auto claims =
      verified_claims(proofs.proof("GET", "https://api.example/orders/7?expand=all#top",
                                   "the-access-token", "server-nonce"),
                      proofs);
  EXPECT_EQ(claims.at("htm"), "GET");
  EXPECT_EQ(claims.at("htu"), "https://api.example/orders/7");
  EXPECT_EQ(claims.at("iat"), clock.seconds());
  EXPECT_EQ(claims.at("ath").as_string(),
            crypto::base64url_encode(crypto::sha256("the-access-token")));  // RFC 9449 4.2
  EXPECT_EQ(claims.at("nonce"), "server-nonce");
  const auto jti = crypto::base64url_decode(claims.at("jti").as_string());
  ASSERT_TRUE(jti);
  EXPECT_GE(jti->size(), 16u);  // >= 128 bits
  EXPECT_EQ(claims.size(), 6u);

  // Without access token or nonce, neither claim appears; time follows the clock.
  clock.advance(90s);
  const auto bare = verified_claims(proofs.proof("POST", "https://idp.example/token"), proofs);
  EXPECT_FALSE(bare.contains("ath"));
  EXPECT_FALSE(bare.contains("nonce"));
  EXPECT_EQ(bare.at("iat"), clock.seconds());
  EXPECT_EQ(bare.at("htu").as_string(), "https://idp.example/token");
  EXPECT_EQ(bare.size(), 4u);
}

TEST(DpopProofs, EveryProofIsFreshAndTheKeyDecidesTheThumbprint) {
  const auto key = crypto::DpopKey::generate(0);
  const DpopProofs proofs(key);
  std::set<std::string> jtis;
  for (int i = 0; i < 50; ++i)
    jtis.insert(std::string(
        verified_claims(proofs.proof("GET", "https://a.example/"), proofs).at("jti").as_string()));
  EXPECT_EQ(jtis.size(), 50u);
  EXPECT_EQ(DpopProofs(key).thumbprint(), proofs.thumbprint());
  EXPECT_NE(DpopProofs(crypto::DpopKey::generate(0)).thumbprint(), proofs.thumbprint());
  EXPECT_EQ(proofs.thumbprint().size(), 43u);  // base64url SHA-256
  EXPECT_THROW(DpopProofs(nullptr), std::invalid_argument);
}

TEST(DpopProofs, ConcurrentProofs) {
  const DpopProofs proofs(crypto::DpopKey::generate(0));
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> made(4);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) made[t].push_back(proofs.proof("GET", "https://a.example/x"));
    });
  for (auto& th : threads) th.join();
  for (const auto& list : made)
    for (const auto& proof : list) EXPECT_EQ(verified_claims(proof, proofs).at("htm"), "GET");
}

TEST(DpopProofs, HtuAndNonceRules) {
  EXPECT_EQ(dpop_htu("https://a.example/p?q=1"), "https://a.example/p");
  EXPECT_EQ(dpop_htu("https://a.example/p#f?x"), "https://a.example/p");
  EXPECT_EQ(dpop_htu("https://a.example"), "https://a.example");
  EXPECT_TRUE(valid_dpop_nonce("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
  EXPECT_TRUE(valid_dpop_nonce("!#[]~"));
  for (const std::string& bad : std::vector<std::string>{"", "a b", "a\"b", "a\\b", "a\nb",
                                                         std::string(1025, 'n'), "\xC3\xA9"})
    EXPECT_FALSE(valid_dpop_nonce(bad)) << bad;
}

class DpopClient : public DpopClientTest {
 protected:
  std::string dpop_body(object extra = {}) const {
    object body{{"access_token", "at-d"}, {"token_type", "DPoP"}, {"expires_in", 60}};
    for (auto& [k, v] : extra) body[k] = v;
    return boost::json::serialize(body);
  }
  // The claims of the DPoP proof the n-th token request carried.
  object proof_claims(const OidcClient& c, std::size_t n) const {
    const auto requests = provider_.token_requests();
    EXPECT_GT(requests.size(), n);
    if (requests.size() <= n) return {};
    const auto proof = header(requests[n].headers, "DPoP");
    EXPECT_TRUE(proof) << "request " << n << " has no DPoP header";
    if (!proof) return {};
    return verified_claims(*proof, *c.dpop());
  }
};

TEST_F(DpopClient, EveryGrantCarriesAProofForTheTokenEndpoint) {
  auto c = ready_dpop_client();
  ASSERT_NE(c.dpop(), nullptr);
  auto id_claims = claims();
  provider_.set_token_response(200, dpop_body({{"id_token", sign(id_claims)}}));
  const auto exchanged = exchange(c);
  ASSERT_TRUE(exchanged) << exchanged.error().detail;
  EXPECT_EQ(exchanged->token_type, "DPoP");
  id_claims.erase("nonce");
  provider_.set_token_response(200, dpop_body({{"id_token", sign(id_claims)}}));
  ASSERT_TRUE(refresh(c));
  provider_.set_token_response(200, dpop_body());
  const auto service = client_credentials(c, {"svc"});
  ASSERT_TRUE(service) << service.error().detail;
  EXPECT_EQ(service->token_type, "DPoP");

  std::set<std::string> jtis;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto p = proof_claims(c, i);
    EXPECT_EQ(p.at("htm"), "POST");
    EXPECT_EQ(p.at("htu").as_string(), provider_.issuer() + "/token");
    EXPECT_EQ(p.at("iat"), clock_.seconds());
    EXPECT_FALSE(p.contains("ath"));  // no access token at the token endpoint
    EXPECT_FALSE(p.contains("nonce"));
    jtis.insert(std::string(p.at("jti").as_string()));
  }
  EXPECT_EQ(jtis.size(), 3u);
}

TEST_F(DpopClient, RevocationCarriesNoProof) {
  provider_.enable_revocation();
  auto c = ready_dpop_client();
  ASSERT_TRUE(gatehouse::testing::run(io_, c.revoke_refresh_token("rt")));
  const auto requests = provider_.revocation_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(header(requests[0].headers, "DPoP"));
}

TEST_F(DpopClient, ABearerAnswerToADpopRequestIsRefused) {
  auto c = ready_dpop_client();
  provider_.set_token_response(200,
                               R"({"access_token":"at","token_type":"Bearer","expires_in":60})");
  const auto r = client_credentials(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::invalid_token_response);
  EXPECT_NE(r.error().detail.find("did not bind"), std::string::npos) << r.error().detail;
  provider_.set_token_response(200, R"({"access_token":"at","token_type":"dpop"})");
  const auto any_case = client_credentials(c);
  ASSERT_TRUE(any_case) << any_case.error().detail;
  EXPECT_EQ(any_case->token_type, "DPoP");
}

TEST_F(DpopClient, UseDpopNonceIsRetriedOnceAndTheNonceRemembered) {
  auto c = ready_dpop_client();
  provider_.queue_token_response(400, R"({"error":"use_dpop_nonce"})", {{"DPoP-Nonce", "n-1"}});
  provider_.set_token_response(200, dpop_body(), {{"DPoP-Nonce", "n-2"}});
  const auto first = client_credentials(c);
  ASSERT_TRUE(first) << first.error().detail;
  ASSERT_EQ(provider_.token_requests().size(), 2u);
  EXPECT_FALSE(proof_claims(c, 0).contains("nonce"));
  EXPECT_EQ(proof_claims(c, 1).at("nonce"), "n-1");
  EXPECT_NE(proof_claims(c, 0).at("jti"), proof_claims(c, 1).at("jti"));
  // The same form both times.
  EXPECT_EQ(provider_.token_requests()[0].body, provider_.token_requests()[1].body);

  // The nonce of the last answer (a 200 may bring a new one) goes into the next request at once.
  provider_.set_token_response(200, dpop_body());
  ASSERT_TRUE(client_credentials(c));
  ASSERT_EQ(provider_.token_requests().size(), 3u);
  EXPECT_EQ(proof_claims(c, 2).at("nonce"), "n-2");
  ASSERT_TRUE(client_credentials(c));
  EXPECT_EQ(proof_claims(c, 3).at("nonce"), "n-2");
}

TEST_F(DpopClient, OnlyOneRetry) {
  auto c = ready_dpop_client();
  provider_.queue_token_response(400, R"({"error":"use_dpop_nonce"})", {{"DPoP-Nonce", "n-1"}});
  provider_.queue_token_response(400, R"({"error":"use_dpop_nonce"})", {{"DPoP-Nonce", "n-2"}});
  provider_.set_token_response(200, dpop_body());
  const auto r = client_credentials(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::token_error_response);
  EXPECT_NE(r.error().detail.find("use_dpop_nonce"), std::string::npos);
  EXPECT_EQ(provider_.token_requests().size(), 2u);
  // The nonce of the second refusal is kept: the next request succeeds at once.
  ASSERT_TRUE(client_credentials(c));
  EXPECT_EQ(provider_.token_requests().size(), 3u);
  EXPECT_EQ(proof_claims(c, 2).at("nonce"), "n-2");
}

TEST_F(DpopClient, NoRetryWithoutAUsableNonce) {
  auto c = ready_dpop_client();
  provider_.set_token_response(400, R"({"error":"use_dpop_nonce"})");
  EXPECT_EQ(client_credentials(c).error().code, OidcErrc::token_error_response);
  EXPECT_EQ(provider_.token_requests().size(), 1u);
  // A nonce we could not put into a JWT safely is ignored.
  provider_.set_token_response(400, R"({"error":"use_dpop_nonce"})",
                               {{"DPoP-Nonce", "n\",\"sub\":\"x"}});
  EXPECT_EQ(client_credentials(c).error().code, OidcErrc::token_error_response);
  EXPECT_EQ(provider_.token_requests().size(), 2u);
  EXPECT_FALSE(proof_claims(c, 1).contains("nonce"));
  // Another 400 with a nonce is no reason to retry.
  provider_.set_token_response(400, R"({"error":"invalid_grant"})", {{"DPoP-Nonce", "n-3"}});
  EXPECT_EQ(refresh(c).error().code, OidcErrc::grant_rejected);
  EXPECT_EQ(provider_.token_requests().size(), 3u);
}

TEST_F(DpopClient, WithoutDpopNoProofAndNoDpopTokens) {
  auto c = ready_client();
  EXPECT_EQ(c.dpop(), nullptr);
  provider_.set_token_response(200, dpop_body());
  const auto r = client_credentials(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::invalid_token_response);
  EXPECT_FALSE(header(provider_.token_requests().at(0).headers, "DPoP"));
}

TEST_F(DpopClient, DpopNeedsAKey) {
  auto s = settings();
  s.dpop = true;
  EXPECT_THROW(OidcClient(io_.get_executor(), s, clock_.clock()), std::invalid_argument);
  EXPECT_THROW(OidcClient(io_.get_executor(), s, clock_.clock(), nullptr), std::invalid_argument);
  // A key without the setting is simply unused.
  s.dpop = false;
  const OidcClient off(io_.get_executor(), s, clock_.clock(), dpop_key_);
  EXPECT_EQ(off.dpop(), nullptr);
  s.dpop = true;
  const OidcClient on(io_.get_executor(), s, clock_.clock(), dpop_key_);
  ASSERT_NE(on.dpop(), nullptr);
  EXPECT_EQ(on.dpop()->thumbprint(), DpopProofs(dpop_key_).thumbprint());
}

// A key ring reload with a new DPoP key: later token requests are signed with it; a snapshot
// taken before stays usable (and still verifies against the old key).
TEST_F(DpopClient, ANewDpopKeySignsEveryLaterProof) {
  auto c = ready_dpop_client();
  const auto before = c.dpop();
  ASSERT_NE(before, nullptr);
  provider_.set_token_response(200, dpop_body());
  ASSERT_TRUE(client_credentials(c, {"svc"}));
  const auto first = header(provider_.token_requests().at(0).headers, "DPoP");
  ASSERT_TRUE(first);
  EXPECT_EQ(verified_claims(*first, *before).at("htm"), "POST");

  const auto next_key = crypto::DpopKey::generate(2);
  c.use_dpop_key(next_key);
  const auto after = c.dpop();
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->thumbprint(), DpopProofs(next_key).thumbprint());
  EXPECT_NE(after->thumbprint(), before->thumbprint());
  ASSERT_TRUE(client_credentials(c, {"svc"}));
  const auto proof = header(provider_.token_requests().at(1).headers, "DPoP");
  ASSERT_TRUE(proof);
  EXPECT_EQ(verified_claims(*proof, *after).at("htm"), "POST");
  EXPECT_FALSE(before->proof("GET", "https://a.example/").empty()) << "the old snapshot lives on";
  EXPECT_THROW(c.use_dpop_key(nullptr), std::invalid_argument);

  // Without [oidc] dpop a new key changes nothing.
  auto plain = ready_client();
  plain.use_dpop_key(next_key);
  EXPECT_EQ(plain.dpop(), nullptr);
}

}  // namespace
}  // namespace gatehouse::oidc
