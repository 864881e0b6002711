// The admin web page (GET /admin/ and its files, compiled in) and GET /admin/keys: the page is
// served without the token under a strict CSP; the key ring shows ids, never key material.
#include "admin_test_support.hpp"

#include "admin/admin_page.hpp"
#include "admin/admin_page_files.hpp"

#include <boost/json/serialize.hpp>

#include <regex>
#include <set>

namespace gatehouse::testing {
namespace {

class AdminPageTest : public AdminApiFixture<MemoryBackend> {
 protected:
  std::string_view file(std::string_view name) {
    for (const auto& f : admin::page_files())
      if (f.name == name) return f.bytes;
    ADD_FAILURE() << name << " is not compiled in";
    return {};
  }

  static std::string body_of(const http::Response& r) {
    return r.shared_body ? *r.shared_body : r.body;
  }

  static void expect_hardened(const http::Response& r, std::string_view what) {
    EXPECT_EQ(r.header("Content-Security-Policy"),
              "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
              "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        << what;
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff") << what;
    EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer") << what;
    EXPECT_EQ(r.header("Cache-Control"), "no-store") << what;
    EXPECT_EQ(r.header("X-Frame-Options"), "DENY") << what;
  }
};

TEST_F(AdminPageTest, ServesThePageAndItsFilesWithoutTheTokenUnderAStrictPolicy) {
  const std::vector<std::tuple<std::string, std::string, std::string>> files{
      {"/admin/", "index.html", "text/html; charset=utf-8"},
      {"/admin/app.js", "app.js", "text/javascript; charset=utf-8"},
      {"/admin/style.css", "style.css", "text/css; charset=utf-8"},
  };
  for (const auto& [target, name, type] : files) {
    for (const auto& authorization :
         {std::optional<std::string>(), std::optional<std::string>("Bearer wrong")}) {
      auto r = call("GET", target, authorization);
      ASSERT_EQ(r.status, 200) << target << ": " << r.body;
      EXPECT_EQ(r.header("Content-Type"), type) << target;
      EXPECT_FALSE(r.header("WWW-Authenticate")) << target;
      expect_hardened(r, target);
      EXPECT_EQ(body_of(r), file(name)) << target;
    }
  }
  EXPECT_NE(body_of(call("GET", "/admin/")).find(R"(<script type="module" src="/admin/app.js">)"),
            std::string::npos);
  auto head = call("HEAD", "/admin/", std::nullopt);
  EXPECT_EQ(head.status, 200);
  expect_hardened(head, "HEAD");
}

TEST_F(AdminPageTest, TheBarePathRedirectsAndOtherMethodsAre405) {
  auto r = call("GET", "/admin", std::nullopt);
  EXPECT_EQ(r.status, 308);
  EXPECT_EQ(r.header("Location"), "/admin/");
  expect_hardened(r, "/admin");
  for (const auto* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    for (const auto* target : {"/admin/", "/admin/app.js"}) {
      r = call(method, target, std::nullopt);
      EXPECT_EQ(r.status, 405) << method << " " << target;
      EXPECT_EQ(r.header("Allow"), "GET, HEAD") << method;
      expect_hardened(r, method);
    }
  }
}

TEST_F(AdminPageTest, OtherPathsStillNeedTheToken) {
  for (const auto* target : {"/admin/index.html", "/admin/app.js.map", "/admin/page/app.js",
                             "/admin/APP.JS", "/admin//", "/admin/keys"}) {
    auto r = call("GET", target, std::nullopt);
    EXPECT_EQ(r.status, 401) << target;
    EXPECT_FALSE(r.header("Content-Security-Policy")) << target << " is not the page";
  }
}

// What the CSP would block or what the brief forbids must not creep into the page's sources.
TEST_F(AdminPageTest, ThePageHasNoInlineCodeAndNeverWritesHtmlOrPersistsTheToken) {
  const std::string html(file("index.html"));
  const std::string js(file("app.js"));
  EXPECT_FALSE(std::regex_search(html, std::regex("<script(?![^>]*\\ssrc=)", std::regex::icase)))
      << "no inline script";
  EXPECT_FALSE(std::regex_search(html, std::regex("\\son[a-z]+\\s*=", std::regex::icase)))
      << "no inline event handler";
  EXPECT_FALSE(std::regex_search(html, std::regex("\\sstyle\\s*=|<style", std::regex::icase)))
      << "no inline style";
  for (const auto* forbidden : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                                "localStorage", "document.cookie", "eval(", "new Function"}) {
    EXPECT_EQ(js.find(forbidden), std::string::npos) << "app.js uses " << forbidden;
  }
  EXPECT_NE(js.find("sessionStorage"), std::string::npos);
  EXPECT_NE(js.find("Bearer "), std::string::npos);
}

TEST_F(AdminPageTest, KeysListsIdsAndTheActiveOneButNoKeyMaterial) {
  auto keys = std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate());
  admin::AdminApi api(admin_options(keys), store_, cleanup_, nullptr, clock_.clock());
  auto get = [&] {
    auto request = admin_request("GET", "/admin/keys");
    return run(io_, api.handle(request));
  };
  const std::string first = keys->active_kid();
  keys->rotate();
  auto r = get();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  const auto answer = body(r);
  EXPECT_EQ(answer.at("active").as_string(), keys->active_kid());
  const auto& listed = answer.at("keys").as_array();
  ASSERT_EQ(listed.size(), 2u) << r.body;
  EXPECT_EQ(listed.at(0).at("kid").as_string(), first);
  EXPECT_EQ(listed.at(1).at("kid").as_string(), keys->active_kid());
  for (const auto& k : listed) {
    EXPECT_EQ(k.as_object().size(), 2u) << "kid and created only: " << r.body;
    EXPECT_TRUE(std::regex_match(std::string(k.at("created").as_string()),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
        << r.body;
  }
  // Not one secret of the ring's file format appears.
  const auto ring = boost::json::parse(keys->to_json()).as_object();
  std::vector<std::string> secrets;
  for (const auto& k : ring.at("keys").as_array()) secrets.emplace_back(k.at("key").as_string());
  if (const auto* dpop = ring.if_contains("dpop"))
    secrets.emplace_back(dpop->at("key").as_string());
  ASSERT_EQ(secrets.size(), 3u);
  for (const auto& secret : secrets) EXPECT_EQ(r.body.find(secret), std::string::npos);

  keys->rotate();
  EXPECT_EQ(body(get()).at("keys").as_array().size(), 3u) << "the live ring, not a copy";
}

TEST_F(AdminPageTest, KeysNeedsTheTokenGetAndNoParameters) {
  EXPECT_EQ(call("GET", "/admin/keys", std::nullopt).status, 401);
  EXPECT_EQ(call("GET", "/admin/keys", "Bearer wrong").status, 401);
  for (const auto* method : {"POST", "DELETE", "PUT"}) {
    auto r = call(method, "/admin/keys");
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.header("Allow"), "GET");
  }
  auto r = call("GET", "/admin/keys?all=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(body(r).at("error").as_string().empty());
}

}  // namespace
}  // namespace gatehouse::testing
