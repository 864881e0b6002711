// The one error idiom (gatehouse/error_enum.hpp) for every area's codes: names and messages as
// callers and logs know them, distinct categories, and Outcome carrying code and detail.
#include <gatehouse/error_enum.hpp>
#include <gatehouse/session/store_error.hpp>

#include <gtest/gtest.h>

#include <boost/system/system_error.hpp>

#include "http/client.hpp"
#include "jose/jose_error.hpp"
#include "oidc/oidc_error.hpp"

namespace gatehouse {
namespace {

TEST(ErrorCodes, EveryAreaKeepsItsCategoryNameAndMessages) {
  const boost::system::error_code store = StoreErrc::unsupported_version;
  const boost::system::error_code jose = jose::JoseErrc::missing_claim;
  const boost::system::error_code oidc = oidc::OidcErrc::revocation_failed;
  const boost::system::error_code http = http::ClientErrc::cancelled;
  EXPECT_STREQ(store.category().name(), "gatehouse.store");
  EXPECT_STREQ(jose.category().name(), "gatehouse.jose");
  EXPECT_STREQ(oidc.category().name(), "gatehouse.oidc");
  EXPECT_STREQ(http.category().name(), "gatehouse.http_client");
  EXPECT_EQ(store.message(), "user session database was written by a newer gatehouse");
  EXPECT_EQ(jose.message(), "required claim missing");
  EXPECT_EQ(oidc.message(), "token revocation failed");
  EXPECT_EQ(http.message(), "request cancelled");
  EXPECT_EQ(make_error_code(jose::JoseErrc::malformed).message(), "malformed JOSE object");
  EXPECT_EQ(make_error_code(oidc::OidcErrc::discovery_failed).message(), "OIDC discovery failed");
  // Codes added later go at the end: every earlier value stays what logs and callers knew.
  EXPECT_EQ(static_cast<int>(oidc::OidcErrc::revocation_failed), 10);
  EXPECT_EQ(static_cast<int>(oidc::OidcErrc::grant_rejected), 11);
  EXPECT_EQ(make_error_code(oidc::OidcErrc::grant_rejected).message(),
            "the provider rejected the grant (invalid_grant)");
  EXPECT_EQ(static_cast<int>(jose::JoseErrc::missing_claim), 17);
  EXPECT_EQ(static_cast<int>(jose::JoseErrc::at_hash_mismatch), 18);
  EXPECT_EQ(make_error_code(jose::JoseErrc::at_hash_mismatch).message(),
            "at_hash does not match the access token");
  // A value no enumerator has still gets its area's message, not another's.
  EXPECT_EQ(boost::system::error_code(99, oidc.category()).message(), "unknown OIDC error");
  EXPECT_EQ(boost::system::error_code(0, store.category()).message(), "unknown store error");
}

TEST(ErrorCodes, CodesCompareByCategoryNotByNumber) {
  const boost::system::error_code not_found = StoreErrc::not_found;  // 1
  EXPECT_EQ(not_found, StoreErrc::not_found);
  EXPECT_NE(not_found, jose::JoseErrc::malformed);  // also 1
  EXPECT_NE(not_found, oidc::OidcErrc::discovery_failed);
  EXPECT_NE(not_found, http::ClientErrc::bad_url);
  EXPECT_NE(not_found.category(), make_error_code(jose::JoseErrc::malformed).category());
  EXPECT_EQ(&not_found.category(), &error_category_of<StoreErrc>());
  EXPECT_TRUE(not_found.failed());
}

TEST(ErrorCodes, OutcomeCarriesCodeAndDetail) {
  const Outcome<int> failed = Failure{oidc::OidcErrc::not_ready, "token exchange too early"};
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, oidc::OidcErrc::not_ready);
  EXPECT_EQ(failed.error().detail, "token exchange too early");
  try {
    (void)failed.value();
    ADD_FAILURE() << "value() of a failure must throw";
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), oidc::OidcErrc::not_ready);
    EXPECT_NE(std::string(e.what()).find("token exchange too early"), std::string::npos)
        << e.what();
  }
  const Outcome<int> ok = 7;
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 7);
}

}  // namespace
}  // namespace gatehouse
