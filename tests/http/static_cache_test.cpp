// StaticSite's in-memory cache: fresh after the revalidation interval (an injected clock, no
// sleeps), never serving anything from outside the root, and within its bounds.
#include "http/static_files.hpp"

#include "http/http_date.hpp"
#include "server_thread.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace gatehouse::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(HttpDate, TheCachedDateIsNowOnEveryThread) {
  EXPECT_EQ(http_date(std::chrono::system_clock::from_time_t(784111777)),
            "Sun, 06 Nov 1994 08:49:37 GMT");
  auto check = [] {
    for (int i = 0; i < 3; ++i) {
      const auto before = http_date(std::chrono::system_clock::now());
      const std::string cached(http_date_now());
      const auto after = http_date(std::chrono::system_clock::now());
      EXPECT_TRUE(cached == before || cached == after) << cached << " not " << before;
    }
  };
  check();
  std::thread other(check);
  other.join();
}

void write_file(const fs::path& p, std::string_view content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
}

// The bytes a response would send, wherever they live.
std::string body(const Response& r) {
  if (r.shared_body) return *r.shared_body;
  if (r.file) {
    std::ostringstream out;
    out << std::ifstream(*r.file, std::ios::binary).rdbuf();
    return out.str();
  }
  return r.body;
}

class StaticCache : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() / "www";
    write_file(root_ / "index.html", "<html>app</html>");
    write_file(root_ / "assets" / "app.js", "console.log(1)");
    write_file(dir_.path() / "secret.txt", "secret");
  }

  StaticCacheOptions cache_options() {
    StaticCacheOptions o;
    o.now = [this] { return Clock::time_point(Clock::duration(now_.load())); };
    return o;
  }
  StaticSite site(StaticOptions options = {}) {
    return StaticSite(root_, std::move(options), cache_options());
  }
  void advance(Clock::duration d) { now_ += d.count(); }

  testing::TempDir dir_;
  fs::path root_;
  std::atomic<Clock::rep> now_{Clock::duration(1h).count()};  // read by reader threads too
};

TEST_F(StaticCache, SmallFilesComeFromMemoryWithTheUncachedHeaders) {
  const auto s = site();
  const auto r = s.serve("/assets/app.js");
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(r.shared_body);
  EXPECT_FALSE(r.file);
  EXPECT_EQ(*r.shared_body, "console.log(1)");
  const auto uncached = static_file(root_, "/assets/app.js");
  for (const char* name : {"Content-Type", "ETag", "Last-Modified"})
    EXPECT_EQ(r.header(name), uncached.header(name)) << name;
  EXPECT_FALSE(r.header("Cache-Control"));
  // The validators keep the value they had before the cache existed: browsers' ETags stay valid.
  const auto file = root_ / "assets" / "app.js";
  const auto mtime = fs::last_write_time(file);
  char etag[64];
  std::snprintf(etag, sizeof etag, "\"%jx-%llx\"", fs::file_size(file),
                static_cast<unsigned long long>(mtime.time_since_epoch().count()));
  EXPECT_EQ(r.header("ETag"), etag);
  EXPECT_EQ(r.header("Last-Modified"), http_date(std::chrono::file_clock::to_sys(mtime)));
  EXPECT_EQ(s.cache_stats().entries, 1u);
  EXPECT_EQ(s.cache_stats().bytes, std::string("console.log(1)assets/app.js").size());
  // The same bytes are shared, not copied, by the next response.
  EXPECT_EQ(s.serve("/assets/app.js").shared_body, r.shared_body);
}

TEST_F(StaticCache, IndexAndSpaFallbackKeepNoCache) {
  const auto s = site({.spa_fallback = true, .asset_cache_control = "max-age=3600"});
  for (const char* path : {"/", "/index.html", "/settings/profile", "/assets"}) {
    const auto r = s.serve(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(body(r), "<html>app</html>") << path;
    EXPECT_EQ(r.header("Cache-Control"), "no-cache") << path;
  }
  EXPECT_EQ(s.serve("/assets/app.js").header("Cache-Control"), "max-age=3600");
  EXPECT_EQ(s.serve("/assets/missing.js").status, 404);
  EXPECT_EQ(s.cache_stats().entries, 2u);  // misses and routes are never cached
}

TEST_F(StaticCache, ChangedFileIsServedFreshAfterTheInterval) {
  const auto s = site();
  const auto first = s.serve("/assets/app.js");
  write_file(root_ / "assets" / "app.js", "console.log(2); // longer");
  advance(999ms);
  EXPECT_EQ(body(s.serve("/assets/app.js")), "console.log(1)");  // at most this stale
  advance(1ms);
  const auto fresh = s.serve("/assets/app.js");
  EXPECT_EQ(body(fresh), "console.log(2); // longer");
  EXPECT_NE(fresh.header("ETag"), first.header("ETag"));
  EXPECT_EQ(s.cache_stats().entries, 1u);
  EXPECT_EQ(s.cache_stats().bytes, std::string("console.log(2); // longerassets/app.js").size());
}

TEST_F(StaticCache, FileRenamedOverWithTheSameSizeIsNoticed) {
  const auto s = site();
  EXPECT_EQ(body(s.serve("/assets/app.js")), "console.log(1)");
  write_file(root_ / "assets" / "app.js.new", "console.log(9)");  // same size, new inode
  fs::rename(root_ / "assets" / "app.js.new", root_ / "assets" / "app.js");
  advance(1s);
  EXPECT_EQ(body(s.serve("/assets/app.js")), "console.log(9)");
}

TEST_F(StaticCache, DeletedFileBecomes404) {
  const auto s = site({.spa_fallback = true});
  EXPECT_EQ(s.serve("/assets/app.js").status, 200);
  fs::remove(root_ / "assets" / "app.js");
  advance(1s);
  EXPECT_EQ(s.serve("/assets/app.js").status, 404);
  EXPECT_EQ(s.cache_stats().entries, 0u);
  EXPECT_EQ(s.serve("/").status, 200);
  fs::remove(root_ / "index.html");
  EXPECT_EQ(s.serve("/").status, 200);  // not yet checked again
  advance(1s);
  EXPECT_EQ(s.serve("/").status, 404);
  EXPECT_EQ(s.serve("/settings").status, 404);
}

TEST_F(StaticCache, FileReplacedBySymlinkOutOfTheRootIsRefused) {
  const auto s = site({.spa_fallback = true});
  EXPECT_EQ(s.serve("/assets/app.js").status, 200);
  fs::remove(root_ / "assets" / "app.js");
  fs::create_symlink(dir_.path() / "secret.txt", root_ / "assets" / "app.js");
  advance(1s);
  const auto r = s.serve("/assets/app.js");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body(r).find("secret"), std::string::npos);
  EXPECT_EQ(s.cache_stats().entries, 0u);
}

TEST_F(StaticCache, DirectoryReplacedBySymlinkOutOfTheRootIsRefused) {
  write_file(dir_.path() / "outside" / "app.js", "stolen");
  const auto s = site();
  EXPECT_EQ(s.serve("/assets/app.js").status, 200);
  fs::rename(root_ / "assets", dir_.path() / "old-assets");
  fs::create_directory_symlink(dir_.path() / "outside", root_ / "assets");
  advance(1s);
  const auto r = s.serve("/assets/app.js");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body(r).find("stolen"), std::string::npos);
}

TEST_F(StaticCache, SymlinkCreatedAfterTheCacheFilledIsRefusedAtOnce) {
  const auto s = site({.spa_fallback = true});
  EXPECT_EQ(s.serve("/").status, 200);
  EXPECT_EQ(s.serve("/assets/app.js").status, 200);
  fs::create_symlink(dir_.path() / "secret.txt", root_ / "link.txt");
  fs::create_directory_symlink(dir_.path(), root_ / "up");
  for (const char* path : {"/link.txt", "/up/secret.txt"}) {
    const auto r = s.serve(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(body(r).find("secret"), std::string::npos) << path;
  }
  fs::create_symlink(root_ / "assets" / "app.js", root_ / "inside.js");  // staying inside: fine
  EXPECT_EQ(body(s.serve("/inside.js")), "console.log(1)");
}

TEST_F(StaticCache, OnlyRegularFilesAreServed) {
  ASSERT_EQ(::mkfifo((root_ / "pipe.txt").c_str(), 0600), 0);
  const auto s = site();
  EXPECT_EQ(s.serve("/pipe.txt").status, 404);  // without waiting for a writer
  EXPECT_EQ(s.serve("/assets").status, 404);    // a directory
  EXPECT_EQ(s.cache_stats().entries, 0u);
}

TEST_F(StaticCache, RefusesTraversalWithAWarmCache) {
  const auto s = site({.spa_fallback = true});
  EXPECT_EQ(s.serve("/").status, 200);
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                           "/..%2fsecret.txt", "/assets%2f..%2f..%2fsecret.txt",
                           "/a\\..\\..\\secret.txt", "/..", "/./index.html", "secret.txt"}) {
    const auto r = s.serve(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_FALSE(r.shared_body) << path;
  }
  EXPECT_EQ(s.serve(std::string("/index.html\0.txt", 16)).status, 404);
}

TEST_F(StaticCache, RootSwappedBehindASymlinkIsFollowedAfterTheInterval) {
  write_file(dir_.path() / "release-2" / "index.html", "<html>v2</html>");
  fs::create_directory_symlink(root_, dir_.path() / "current");
  const StaticSite s(dir_.path() / "current", {}, cache_options());
  EXPECT_EQ(body(s.serve("/")), "<html>app</html>");
  fs::remove(dir_.path() / "current");
  fs::create_directory_symlink(dir_.path() / "release-2", dir_.path() / "current");
  advance(1s);
  EXPECT_EQ(body(s.serve("/")), "<html>v2</html>");
  EXPECT_EQ(s.serve("/assets/app.js").status, 404);  // the old release's files are gone
}

TEST_F(StaticCache, LargeFilesStreamAndStayOutOfTheCache) {
  auto options = cache_options();
  options.max_file_bytes = 100;
  const StaticSite s(root_, {}, options);
  write_file(root_ / "exact.txt", std::string(100, 'e'));
  write_file(root_ / "large.txt", std::string(101, 'l'));
  const auto exact = s.serve("/exact.txt");
  EXPECT_TRUE(exact.shared_body);
  const auto large = s.serve("/large.txt");
  EXPECT_EQ(large.status, 200);
  EXPECT_FALSE(large.shared_body);
  EXPECT_EQ(large.file, fs::canonical(root_ / "large.txt"));
  EXPECT_TRUE(large.header("ETag"));
  EXPECT_EQ(s.cache_stats().entries, 1u);
  // A cached file that grows past the limit is dropped, then streamed.
  write_file(root_ / "exact.txt", std::string(150, 'e'));
  advance(1s);
  EXPECT_EQ(s.serve("/exact.txt").file, fs::canonical(root_ / "exact.txt"));
  EXPECT_EQ(s.cache_stats().entries, 0u);
}

TEST_F(StaticCache, TotalBytesAndEntriesStayBoundedLeastRecentlyUsedFirst) {
  auto options = cache_options();
  options.max_total_bytes = 3 * (100 + 5);  // three 100-byte files with keys "N.txt"
  const StaticSite s(root_, {}, options);
  for (int i = 0; i < 5; ++i)
    write_file(root_ / (std::to_string(i) + ".txt"), std::string(100, 'x'));
  for (int i = 0; i < 3; ++i) s.serve("/" + std::to_string(i) + ".txt");
  EXPECT_EQ(s.cache_stats().entries, 3u);
  s.serve("/0.txt");  // now 1 is the least recently used
  s.serve("/3.txt");
  s.serve("/4.txt");
  EXPECT_EQ(s.cache_stats().entries, 3u);
  EXPECT_LE(s.cache_stats().bytes, options.max_total_bytes);
  // 0, 3 and 4 are cached: deleting them from disk changes nothing until the interval passes.
  for (int i = 0; i < 5; ++i) fs::remove(root_ / (std::to_string(i) + ".txt"));
  for (const int i : {0, 3, 4}) EXPECT_EQ(s.serve("/" + std::to_string(i) + ".txt").status, 200);
  for (const int i : {1, 2}) EXPECT_EQ(s.serve("/" + std::to_string(i) + ".txt").status, 404);

  options.max_entries = 2;
  options.max_total_bytes = 1 << 20;
  const StaticSite few(root_, {}, options);
  for (const char* path : {"/index.html", "/assets/app.js", "/", "/index.html"}) few.serve(path);
  EXPECT_EQ(few.cache_stats().entries, 2u);
}

TEST_F(StaticCache, ConcurrentRequestsSeeWholeVersionsOnly) {
  auto options = cache_options();
  options.max_entries = 3;  // evictions race with hits too
  const StaticSite s(root_, {.spa_fallback = true}, options);
  for (int i = 0; i < 4; ++i) write_file(root_ / ("f" + std::to_string(i) + ".txt"), "v0");
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&, t] {
      for (int n = 0; !stop; ++n) {
        const auto r = s.serve("/f" + std::to_string((n + t) % 4) + ".txt");
        const auto b = body(r);
        if (r.status != 200 || b.size() < 2 || b[0] != 'v') ++bad;
        if (body(s.serve("/route")) != "<html>app</html>") ++bad;
      }
    });
  for (int version = 1; version < 200; ++version) {
    const auto name = "f" + std::to_string(version % 4) + ".txt";
    write_file(root_ / (name + ".tmp"), "v" + std::to_string(version));
    fs::rename(root_ / (name + ".tmp"), root_ / name);  // atomic replacement, as deploys do
    advance(500ms);
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(bad, 0);
  advance(1s);
  EXPECT_EQ(body(s.serve("/f3.txt")), "v199");
}

TEST_F(StaticCache, CachedBodiesThroughTheServer) {
  const auto s = std::make_shared<StaticSite>(root_, StaticOptions{}, cache_options());
  Handler handler = [s](Request& req) -> boost::asio::awaitable<Response> {
    co_return s->serve(req);
  };
  testing::ServerThread server(testing::local_options(), handler);
  testing::RawConnection c(server.port());
  for (int i = 0; i < 2; ++i) {  // a miss, then a hit
    c.send("GET /assets/app.js HTTP/1.1\r\nHost: t\r\n\r\n");
    auto js = c.read_response();
    ASSERT_TRUE(js);
    EXPECT_EQ(testing::status_of(*js), 200);
    EXPECT_EQ(testing::body_of(*js), "console.log(1)");
    EXPECT_TRUE(testing::has_header(*js, "Content-Length: 14"));
    EXPECT_TRUE(testing::has_header(*js, "Content-Type: text/javascript; charset=utf-8"));
  }
  c.send("HEAD /assets/app.js HTTP/1.1\r\nHost: t\r\n\r\n");
  auto head = c.read_response(/*head_only=*/true);
  ASSERT_TRUE(head);
  EXPECT_TRUE(testing::has_header(*head, "Content-Length: 14"));
  EXPECT_EQ(testing::body_of(*head), "");

  const auto etag = std::string(s->serve("/assets/app.js").header("ETag").value());
  c.send("GET /assets/app.js HTTP/1.1\r\nHost: t\r\nIf-None-Match: " + etag + "\r\n\r\n");
  auto not_modified = c.read_response(/*head_only=*/true);
  ASSERT_TRUE(not_modified);
  EXPECT_EQ(testing::status_of(*not_modified), 304);
  EXPECT_TRUE(testing::has_header(*not_modified, "ETag: " + etag));
  EXPECT_FALSE(testing::has_header(*not_modified, "Content-Length: 14"));

  c.send("DELETE /assets/app.js HTTP/1.1\r\nHost: t\r\n\r\n");
  auto refused = c.read_response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(testing::status_of(*refused), 405);
}

}  // namespace
}  // namespace gatehouse::http
