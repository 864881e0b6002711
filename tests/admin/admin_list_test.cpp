// GET /admin/sessions without sub/sid: every session of the partition, one page at a time, with
// a sealed cursor; stores that cannot list (no UserSessionStoreListing) answer 400.
#include "admin_test_support.hpp"

#include "crypto/base64.hpp"

#include <sqlite3.h>

#include <set>

namespace gatehouse::testing {
namespace {

template <class Backend>
class AdminListing : public ::testing::Test {
 protected:
  ManualClock clock_;
  TempDir dir_;
  boost::asio::io_context io_;
  std::shared_ptr<const crypto::KeyRing> keys_ =
      std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate());
  std::shared_ptr<UserSessionStore> store_ = Backend::make(dir_, clock_.clock());
  admin::AdminApi api_{admin_options(keys_), store_,
                       std::dynamic_pointer_cast<UserSessionStoreCleanup>(store_),
                       std::dynamic_pointer_cast<UserSessionStoreListing>(store_), clock_.clock()};

  http::Response call(std::string target, std::string method = "GET") {
    auto request = admin_request(std::move(method), std::move(target));
    return run(io_, api_.handle(request));
  }

  static boost::json::object body(const http::Response& r) {
    return boost::json::parse(r.body).as_object();
  }

  static std::string key(int i) {
    auto digits = std::to_string(i);
    return "key-" + std::string(4 - digits.size(), '0') + digits + "-0123456789";
  }

  void add(int first, int last, const std::string& subject = "alice") {
    for (int i = first; i < last; ++i) {
      UserSession s{.key = key(i),
                    .partition_key = "app",
                    .subject_id = subject,
                    .session_id = std::nullopt,
                    .created = clock_.now(),
                    .renewed = clock_.now(),
                    .expires = clock_.now() + std::chrono::hours(1),
                    .ticket = "sealed-ticket"};
      ASSERT_TRUE(run(io_, store_->create_user_session(std::move(s))));
    }
  }

  // Follows `next` from `first_target`; returns the listed ids and counts the pages.
  std::vector<std::string> follow(const std::string& first_target, std::size_t& pages,
                                  std::size_t page_size) {
    std::vector<std::string> ids;
    std::string target = first_target;
    for (pages = 0; pages < 100; ++pages) {
      auto r = call(target);
      EXPECT_EQ(r.status, 200) << target << ": " << r.body;
      if (r.status != 200) break;
      const auto page = body(r);
      const auto& sessions = page.at("sessions").as_array();
      for (const auto& s : sessions) ids.emplace_back(s.at("id").as_string());
      if (page.at("next").is_null()) {
        ++pages;
        break;
      }
      EXPECT_EQ(sessions.size(), page_size) << "only the last page may be short";
      const std::string sep = first_target.find('?') == std::string::npos ? "?" : "&";
      target = first_target + sep + "after=" + std::string(page.at("next").as_string());
    }
    return ids;
  }

  std::string next_of(const std::string& target) {
    auto r = call(target);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200 || body(r).at("next").is_null()) return "";
    return std::string(body(r).at("next").as_string());
  }
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend>;
TYPED_TEST_SUITE(AdminListing, Backends);

TYPED_TEST(AdminListing, AnEmptyStoreIsOneEmptyLastPage) {
  auto r = this->call("/admin/sessions");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_EQ(r.body, R"({"sessions":[],"next":null})");
}

TYPED_TEST(AdminListing, PagesOfAHundredByDefaultCoverEverySessionOnce) {
  this->add(0, 250);
  std::size_t pages = 0;
  const auto ids = this->follow("/admin/sessions", pages, 100);
  EXPECT_EQ(pages, 3u);
  ASSERT_EQ(ids.size(), 250u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 250u) << "no session twice";
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end())) << "in a stable (key) order";
}

TYPED_TEST(AdminListing, LimitSetsThePageSizeUpToAThousand) {
  this->add(0, 20);
  std::size_t pages = 0;
  EXPECT_EQ(this->follow("/admin/sessions?limit=7", pages, 7).size(), 20u);
  EXPECT_EQ(pages, 3u);
  EXPECT_EQ(this->follow("/admin/sessions?limit=10", pages, 10).size(), 20u);
  EXPECT_EQ(pages, 2u) << "an exact multiple ends without an empty page";
  auto r = this->call("/admin/sessions?limit=1000");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(this->body(r).at("sessions").as_array().size(), 20u);
  EXPECT_TRUE(this->body(r).at("next").is_null());
}

TYPED_TEST(AdminListing, TheCursorIsOpaqueAndShowsNoWholeKeyOrTicket) {
  this->add(0, 3);
  auto r = this->call("/admin/sessions?limit=2");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string next(this->body(r).at("next").as_string());
  EXPECT_EQ(
      next.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos)
      << "safe in a query string as it is: " << next;
  EXPECT_EQ(r.body.find(this->key(1)), std::string::npos);
  EXPECT_EQ(next.find(crypto::base64url_encode(this->key(1))), std::string::npos);
  EXPECT_EQ(r.body.find("sealed-ticket"), std::string::npos);
}

TYPED_TEST(AdminListing, ACursorOfADeletedSessionStillLeadsOn) {
  this->add(0, 5);
  const auto next = this->next_of("/admin/sessions?limit=2");
  ASSERT_TRUE(run(this->io_, this->store_->delete_user_session(this->key(1))));
  ASSERT_TRUE(run(this->io_, this->store_->delete_user_session(this->key(2))));
  auto second = this->call("/admin/sessions?limit=2&after=" + next);
  ASSERT_EQ(second.status, 200) << second.body;
  const auto page = this->body(second);
  const auto& sessions = page.at("sessions").as_array();
  ASSERT_EQ(sessions.size(), 2u) << second.body;
  EXPECT_EQ(sessions[0].at("id").as_string(), this->key(3).substr(0, 12));
  EXPECT_TRUE(page.at("next").is_null());
}

// docs/operations.md promises 400 for a cursor the API did not hand out.
TYPED_TEST(AdminListing, AMadeUpOrTamperedCursorIs400) {
  this->add(0, 5);
  const auto next = this->next_of("/admin/sessions?limit=2");
  ASSERT_FALSE(next.empty());
  auto tampered = next;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  // A cursor sealed by another gateway's key ring.
  admin::AdminApi foreign(admin_options(), this->store_, nullptr,
                          std::dynamic_pointer_cast<UserSessionStoreListing>(this->store_));
  auto request = admin_request("GET", "/admin/sessions?limit=2");
  auto theirs = run(this->io_, foreign.handle(request));
  ASSERT_EQ(theirs.status, 200);
  const std::string foreign_next(this->body(theirs).at("next").as_string());
  for (const auto& cursor : {crypto::base64url_encode(this->key(1)),  // the old plain format
                             tampered, foreign_next, next.substr(0, next.size() - 4),
                             crypto::base64url_encode(std::string(64, '\x01'))}) {
    auto r = this->call("/admin/sessions?limit=2&after=" + cursor);
    EXPECT_EQ(r.status, 400) << cursor << ": " << r.body;
    EXPECT_NE(r.body.find("not a cursor"), std::string::npos) << r.body;
  }
  EXPECT_EQ(this->call("/admin/sessions?limit=2&after=" + next).status, 200);
}

// Every gateway sharing the key ring accepts the others' cursors (behind a load balancer).
TYPED_TEST(AdminListing, AnotherInstanceWithTheSameKeysFollowsTheCursor) {
  this->add(0, 5);
  const auto next = this->next_of("/admin/sessions?limit=2");
  admin::AdminApi other(admin_options(this->keys_), this->store_, nullptr,
                        std::dynamic_pointer_cast<UserSessionStoreListing>(this->store_));
  auto request = admin_request("GET", "/admin/sessions?limit=2&after=" + next);
  auto r = run(this->io_, other.handle(request));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(this->body(r).at("sessions").as_array()[0].at("id").as_string(),
            this->key(2).substr(0, 12));
}

TYPED_TEST(AdminListing, BadPagingParametersAre400WithAReason) {
  this->add(0, 3);
  const std::vector<std::string> targets{
      "/admin/sessions?limit=0",
      "/admin/sessions?limit=1001",
      "/admin/sessions?limit=abc",
      "/admin/sessions?limit=-1",
      "/admin/sessions?limit=%2B5",
      "/admin/sessions?limit=1e2",
      "/admin/sessions?limit=5x",
      "/admin/sessions?limit=99999999999999999999999",
      "/admin/sessions?limit=",
      "/admin/sessions?limit=5&limit=6",
      "/admin/sessions?after=",
      "/admin/sessions?after=!!!",
      "/admin/sessions?after=a",                                                   // not base64url
      "/admin/sessions?after=a2V5LTAwMDE=",                                        // padded
      "/admin/sessions?after=" + crypto::base64url_encode(std::string(257, 'k')),  // too long
      "/admin/sessions?after=x&after=y",
      "/admin/sessions?sub=alice&limit=5",
      "/admin/sessions?sid=sid-1&after=" + crypto::base64url_encode(this->key(0)),
      "/admin/sessions?expired=true",
      "/admin/sessions?page=2",
  };
  for (const auto& target : targets) {
    auto r = this->call(target);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    EXPECT_EQ(r.header("Cache-Control"), "no-store") << target;
    EXPECT_FALSE(this->body(r).at("error").as_string().empty()) << target;
  }
  EXPECT_EQ(this->call("/admin/sessions?limit=5", "DELETE").status, 400)
      << "DELETE takes no paging";
  EXPECT_EQ(this->call("/admin/sessions?limit=3").status, 200);
}

TEST(AdminListingSqlite, AStoreOutageIs503) {
  ManualClock clock;
  TempDir dir;
  boost::asio::io_context io;
  auto store = SqliteBackend::make(dir, clock.clock());
  admin::AdminApi api(admin_options(), store, store, store, clock.clock());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("sessions.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE user_sessions", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto request = admin_request("GET", "/admin/sessions");
  auto r = run(io, api.handle(request));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.header("Retry-After"), "5");
}

TEST(AdminListingOtherStores, WithoutSubOrSidAStoreThatCannotListIs400) {
  boost::asio::io_context io;
  // A wrapper without UserSessionStoreListing, around stores that could list themselves: only
  // the interface counts, never the concrete store behind it.
  TempDir dir;
  auto memory = std::make_shared<SwitchableStore>(MemoryBackend::make(dir, system_clock()));
  auto sqlite = std::make_shared<SwitchableStore>(SqliteBackend::make(dir, system_clock()));
  for (std::shared_ptr<UserSessionStore> store :
       {std::shared_ptr<UserSessionStore>(memory), std::shared_ptr<UserSessionStore>(sqlite)}) {
    admin::AdminApi api(admin_options(), store, nullptr, nullptr);
    for (const auto* target : {"/admin/sessions", "/admin/sessions?limit=10"}) {
      auto request = admin_request("GET", target);
      auto r = run(io, api.handle(request));
      EXPECT_EQ(r.status, 400) << target;
      EXPECT_NE(r.body.find("needs sub or sid"), std::string::npos) << r.body;
      EXPECT_NE(r.body.find("cannot list every session"), std::string::npos) << r.body;
    }
    auto request = admin_request("GET", "/admin/sessions?sub=alice");
    EXPECT_EQ(run(io, api.handle(request)).status, 200) << "filtered listings still work";
  }
}

}  // namespace
}  // namespace gatehouse::testing
