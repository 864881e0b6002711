// The admin API's bearer token: every request needs exactly the configured token, compared in
// constant time, and a refusal never echoes what was sent.
#include "admin_test_support.hpp"

namespace gatehouse::testing {
namespace {

class AdminAuthTest : public AdminApiFixture<MemoryBackend> {
 protected:
  void expect_refused(std::optional<std::string> authorization, std::string_view why) {
    for (const auto& [method, target] :
         {std::pair<std::string, std::string>{"GET", "/admin/sessions?sub=alice"},
          {"DELETE", "/admin/sessions?sub=alice"},
          {"POST", "/admin/cleanup"},
          {"GET", "/admin/keys"},
          {"DELETE", "/admin/sessions?sub=alice&id=key-alice-0"},
          {"GET", "/admin/nowhere"},
          {"GET", "/elsewhere"}}) {
      auto r = call(method, target, authorization);
      EXPECT_EQ(r.status, 401) << why << ": " << method << " " << target;
      EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"gatehouse-admin\"") << why;
      EXPECT_EQ(r.header("Cache-Control"), "no-store") << why;
      EXPECT_EQ(r.body.find(admin_token), std::string::npos) << why;
      if (authorization && authorization->size() > 7) {
        EXPECT_EQ(r.body.find(authorization->substr(7)), std::string::npos) << why;
      }
    }
    EXPECT_EQ(count({.subject_id = "alice"}), 1u) << why << ": nothing was removed";
  }
};

TEST_F(AdminAuthTest, RefusesEverythingWithoutTheRightToken) {
  add("key-alice-0123456789", "alice", "sid-a1");
  const std::string token(admin_token);
  std::string same_length = token;
  same_length.back() = same_length.back() == 'x' ? 'y' : 'x';
  expect_refused(std::nullopt, "no header");
  expect_refused("", "empty header");
  expect_refused("Bearer", "scheme only");
  expect_refused("Bearer ", "empty token");
  expect_refused("Bearer " + same_length, "wrong token of the same length");
  expect_refused("Bearer " + token.substr(0, token.size() - 1), "a prefix of the token");
  expect_refused("Bearer " + token + "x", "the token and more");
  expect_refused("Bearer short", "a token of another length");
  expect_refused("Basic " + token, "another scheme");
  expect_refused(token, "no scheme");
  expect_refused("Bearer" + token, "no space after the scheme");
  expect_refused("Bearer " + token + " x", "trailing garbage");
}

TEST_F(AdminAuthTest, RefusesTwoAuthorizationHeaders) {
  auto request = admin_request("GET", "/admin/sessions?sub=alice");
  request.headers.emplace_back("Authorization", "Bearer " + std::string(admin_token));
  EXPECT_EQ(run(io_, api_.handle(request)).status, 401);
}

TEST_F(AdminAuthTest, AcceptsTheTokenWithTheSchemeInAnyCase) {
  const std::string token(admin_token);
  for (const auto* scheme : {"Bearer ", "bearer ", "BEARER ", "Bearer   "}) {
    auto r = call("GET", "/admin/sessions?sub=alice", scheme + token);
    EXPECT_EQ(r.status, 200) << scheme << r.body;
    EXPECT_FALSE(r.header("WWW-Authenticate"));
  }
}

TEST(AdminApiConstruction, NeedsATokenCursorKeysAndAStore) {
  auto store = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app"});
  auto no_token = admin_options();
  no_token.token.clear();
  EXPECT_THROW(admin::AdminApi(no_token, store, store, store), std::invalid_argument);
  EXPECT_THROW(admin::AdminApi(admin_options(nullptr), store, store, store), std::invalid_argument);
  EXPECT_THROW(admin::AdminApi(admin_options(), nullptr, store, store), std::invalid_argument);
  EXPECT_NO_THROW(admin::AdminApi(admin_options(), store, store, store));
}

}  // namespace
}  // namespace gatehouse::testing
