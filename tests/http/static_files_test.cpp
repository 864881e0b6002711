#include "http/static_files.hpp"

#include "server_thread.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace gatehouse::http {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& p, std::string_view content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() / "www";
    write_file(root_ / "index.html", "<html>app</html>");
    write_file(root_ / "assets" / "app.js", "console.log(1)");
    write_file(dir_.path() / "secret.txt", "secret");
  }
  std::string type(const Response& r) { return std::string(r.header("Content-Type").value_or("")); }

  testing::TempDir dir_;
  fs::path root_;
};

TEST_F(StaticFiles, ContentTypesByExtension) {
  const std::pair<const char*, const char*> expected[] = {
      {"a.html", "text/html; charset=utf-8"},
      {"a.js", "text/javascript; charset=utf-8"},
      {"a.mjs", "text/javascript; charset=utf-8"},
      {"a.css", "text/css; charset=utf-8"},
      {"a.json", "application/json"},
      {"a.svg", "image/svg+xml"},
      {"a.png", "image/png"},
      {"a.jpg", "image/jpeg"},
      {"a.ico", "image/x-icon"},
      {"a.woff2", "font/woff2"},
      {"a.txt", "text/plain; charset=utf-8"},
      {"a.js.map", "application/json"},
      {"a.wasm", "application/wasm"},
      {"a.bin", "application/octet-stream"},
  };
  for (const auto& [name, content_type] : expected) {
    write_file(root_ / name, "x");
    const auto r = static_file(root_, std::string("/") + name);
    EXPECT_EQ(r.status, 200) << name;
    EXPECT_EQ(type(r), content_type) << name;
    EXPECT_EQ(r.file, fs::canonical(root_ / name));
  }
}

TEST_F(StaticFiles, IndexForRootWithNoCache) {
  const auto r = static_file(root_, "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.file, fs::canonical(root_ / "index.html"));
  EXPECT_EQ(r.header("Cache-Control"), "no-cache");
  EXPECT_TRUE(r.header("ETag"));
  EXPECT_TRUE(r.header("Last-Modified"));
  EXPECT_FALSE(static_file(root_, "/assets/app.js").header("Cache-Control"));
}

TEST_F(StaticFiles, RefusesTraversal) {
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                           "/..%2fsecret.txt", "/assets%2f..%2f..%2fsecret.txt",
                           "/a\\..\\..\\secret.txt", "/..", "/./index.html", "secret.txt"}) {
    const auto r = static_file(root_, path, {.spa_fallback = true});
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_FALSE(r.file) << path;
  }
  EXPECT_EQ(static_file(root_, std::string("/index.html\0.txt", 16)).status, 404);
}

TEST_F(StaticFiles, RefusesSymlinkOutOfRoot) {
  fs::create_symlink(dir_.path() / "secret.txt", root_ / "link.txt");
  EXPECT_EQ(static_file(root_, "/link.txt").status, 404);
  fs::create_symlink(root_ / "assets" / "app.js", root_ / "inside.js");  // staying inside: fine
  EXPECT_EQ(static_file(root_, "/inside.js").status, 200);
}

TEST_F(StaticFiles, SpaFallbackOnlyForRouteLikePaths) {
  const StaticOptions spa{.spa_fallback = true};
  const auto route = static_file(root_, "/settings/profile", spa);
  EXPECT_EQ(route.status, 200);
  EXPECT_EQ(route.file, fs::canonical(root_ / "index.html"));
  EXPECT_EQ(route.header("Cache-Control"), "no-cache");
  EXPECT_EQ(static_file(root_, "/assets/missing.js", spa).status, 404);
  EXPECT_EQ(static_file(root_, "/settings/profile").status, 404);  // fallback off
  EXPECT_EQ(static_file(root_, "/assets", spa).file, fs::canonical(root_ / "index.html"));
}

TEST_F(StaticFiles, NotModifiedWhenETagMatches) {
  const auto first = static_file(root_, "/assets/app.js");
  const auto etag = std::string(first.header("ETag").value());
  Request req{.method = "GET", .path = "/assets/app.js"};
  req.headers = {{"If-None-Match", "\"other\", " + etag}};
  const auto again = static_file(root_, req);
  EXPECT_EQ(again.status, 304);
  EXPECT_FALSE(again.file);
  EXPECT_EQ(again.header("ETag"), etag);
  req.headers = {{"If-None-Match", "\"stale\""}};
  EXPECT_EQ(static_file(root_, req).status, 200);
  req.method = "POST";
  EXPECT_EQ(static_file(root_, req).status, 405);
}

TEST_F(StaticFiles, ServedThroughTheServer) {
  const auto root = root_;
  Handler handler = [root](Request& req) -> boost::asio::awaitable<Response> {
    co_return static_file(root, req, {.spa_fallback = true});
  };
  testing::ServerThread server(testing::local_options(), handler);
  testing::RawConnection c(server.port());
  c.send("GET /assets/app.js HTTP/1.1\r\nHost: t\r\n\r\n");
  auto js = c.read_response();
  ASSERT_TRUE(js);
  EXPECT_EQ(testing::status_of(*js), 200);
  EXPECT_EQ(testing::body_of(*js), "console.log(1)");
  EXPECT_TRUE(testing::has_header(*js, "Content-Type: text/javascript; charset=utf-8"));
  EXPECT_TRUE(testing::has_header(*js, "Content-Length: 14"));

  c.send("HEAD /assets/app.js HTTP/1.1\r\nHost: t\r\n\r\n");
  auto head = c.read_response(/*head_only=*/true);
  ASSERT_TRUE(head);
  EXPECT_TRUE(testing::has_header(*head, "Content-Length: 14"));
  EXPECT_EQ(testing::body_of(*head), "");

  for (const char* target :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/a%5c..%5c..%5csecret.txt"}) {
    c.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: t\r\n\r\n");
    auto r = c.read_response();
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(testing::status_of(*r), 404) << target;
    EXPECT_EQ(r->find("secret\r\n"), std::string::npos);
  }
}

}  // namespace
}  // namespace gatehouse::http
