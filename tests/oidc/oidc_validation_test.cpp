// ID tokens from the token endpoint that must not log anyone in, and key rotation.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/serialize.hpp>

#include <future>
#include <thread>
#include <vector>

#include "crypto/base64.hpp"
#include "jose/jose_error.hpp"
#include "oidc_fixture.hpp"

namespace gatehouse::oidc {
namespace {

using namespace std::chrono_literals;
using jose::JoseErrc;
using jose::testing::test_keys;
using OidcIdTokenTest = testing::OidcFixture;

class OidcRejectedIdToken : public OidcIdTokenTest {
 protected:
  // Exchanges with the provider returning `id_token`; expects invalid_id_token because of `why`.
  void expect_rejected(const std::string& id_token, JoseErrc why) {
    auto c = ready_client();
    provider_.set_id_token(id_token);
    const auto r = exchange(c);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, OidcErrc::invalid_id_token);
    EXPECT_NE(r.error().detail.find(make_error_code(why).message()), std::string::npos)
        << r.error().detail;
  }
};

TEST_F(OidcRejectedIdToken, NonceMismatch) {
  expect_rejected(sign(claims("another-login's-nonce")), JoseErrc::nonce_mismatch);
}

TEST_F(OidcRejectedIdToken, Expired) {
  auto c = claims();
  c["exp"] = clock_.seconds() - 120;  // beyond the 60 s skew
  expect_rejected(sign(c), JoseErrc::expired);
}

TEST_F(OidcRejectedIdToken, WrongAudience) {
  auto c = claims();
  c["aud"] = "another-client";
  expect_rejected(sign(c), JoseErrc::wrong_audience);
}

TEST_F(OidcRejectedIdToken, WrongIssuer) {
  auto c = claims();
  c["iss"] = "https://evil.example";
  expect_rejected(sign(c), JoseErrc::wrong_issuer);
}

TEST_F(OidcRejectedIdToken, TamperedSignature) {
  auto token = sign(claims());
  // Swap the payload for one naming another user, keeping the original signature.
  auto forged = claims();
  forged["sub"] = "mallory";
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  token.replace(first + 1, second - first - 1,
                crypto::base64url_encode(boost::json::serialize(forged)));
  expect_rejected(token, JoseErrc::bad_signature);
}

TEST_F(OidcRejectedIdToken, AlgNone) {
  const auto payload = boost::json::serialize(claims());
  expect_rejected(jose::testing::join_token(R"({"alg":"none"})", payload, "x"), JoseErrc::alg_none);
  // The canonical unsigned form has an empty signature part: rejected before alg is even read.
  expect_rejected(jose::testing::join_token(R"({"alg":"none"})", payload, ""), JoseErrc::malformed);
}

TEST_F(OidcIdTokenTest, ARocaKeyIsLeftOutOfTheProvidersKeys) {
  const auto& keys = test_keys();
  const boost::json::object with_roca{
      {"keys",
       {jose::testing::rsalib_jwk("tpm-key"), jose::testing::public_jwk(keys.rsa.get(), "rsa-1")}}};
  provider_.set_jwks({boost::json::serialize(with_roca)});
  auto c = ready_client();
  ASSERT_TRUE(c.ready());
  provider_.set_id_token(sign(claims()));
  const auto r = exchange(c);
  EXPECT_TRUE(r) << r.error().detail;
  // With nothing else to verify with, loading fails rather than every login later.
  const boost::json::object only_roca{{"keys", {jose::testing::rsalib_jwk("tpm-key")}}};
  provider_.set_jwks({boost::json::serialize(only_roca)});
  auto other = client();
  const auto loaded = load(other);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, OidcErrc::jwks_failed);
}

TEST_F(OidcIdTokenTest, UnknownKidRefetchesTheRotatedJwks) {
  const auto& keys = test_keys();
  const boost::json::object rotated{
      {"keys", {jose::testing::public_jwk(keys.rsa2.get(), "rsa-2", "RS256")}}};
  provider_.set_jwks({keys.jwks_json, boost::json::serialize(rotated)});
  auto c = ready_client();
  ASSERT_EQ(provider_.jwks_fetches(), 1);

  provider_.set_id_token(sign(claims(), keys.rsa2.get(), "rsa-2"));
  const auto r = exchange(c);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->id_token_claims.at("sub"), "alice");
  EXPECT_EQ(provider_.jwks_fetches(), 2);

  // The new key is cached: no further fetch.
  const auto again = exchange(c);
  ASSERT_TRUE(again) << again.error().detail;
  EXPECT_EQ(provider_.jwks_fetches(), 2);
}

TEST_F(OidcIdTokenTest, UnknownKidThatStaysUnknownIsRejectedAndRefetchIsRateLimited) {
  const auto& keys = test_keys();
  auto c = ready_client();
  provider_.set_id_token(sign(claims(), keys.rsa2.get(), "rsa-2"));

  auto r = exchange(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::invalid_id_token);
  EXPECT_EQ(provider_.jwks_fetches(), 2);  // the load, then exactly one refetch

  clock_.advance(kJwksRefetchInterval - 1s);
  r = exchange(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, OidcErrc::invalid_id_token);
  EXPECT_EQ(provider_.jwks_fetches(), 2);  // too soon to ask again

  clock_.advance(1s);
  provider_.set_id_token(sign(claims(), keys.rsa2.get(), "rsa-2"));  // fresh iat/exp
  r = exchange(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(provider_.jwks_fetches(), 3);
}

TEST_F(OidcIdTokenTest, ConcurrentExchangesDuringARotationShareOneRefetch) {
  const auto& keys = test_keys();
  const boost::json::object rotated{
      {"keys", {jose::testing::public_jwk(keys.rsa2.get(), "rsa-2", "RS256")}}};
  provider_.set_jwks({keys.jwks_json, boost::json::serialize(rotated)});
  auto c = ready_client();
  provider_.set_id_token(sign(claims(), keys.rsa2.get(), "rsa-2"));

  // Several threads run the io_context, as in the gateway.
  std::vector<std::future<Outcome<Tokens>>> results;
  for (int i = 0; i < 8; ++i) {
    auto exchange = c.exchange_code("code", "verifier", testing::kNonce);
    results.push_back(boost::asio::co_spawn(io_, std::move(exchange), boost::asio::use_future));
  }
  io_.restart();
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([this] { io_.run(); });
  for (auto& t : threads) t.join();
  for (auto& f : results) {
    const auto r = f.get();
    EXPECT_TRUE(r) << r.error().detail;
  }
  EXPECT_EQ(provider_.jwks_fetches(), 2);
}

}  // namespace
}  // namespace gatehouse::oidc
