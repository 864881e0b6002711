// SqliteUserSessionStore::list_user_sessions: every session of the partition, page by page, in
// key order; pages stay correct while sessions come and go between them.
#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include "conformance/user_session_store_conformance.hpp"
#include "support/temp_dir.hpp"

#include <algorithm>
#include <random>

namespace gatehouse::testing {
namespace {

using Page = SqliteUserSessionStore::Page;

// The keys as listed (keys_of sorts them, which would hide an order bug).
std::vector<std::string> in_order(const std::vector<UserSession>& sessions) {
  std::vector<std::string> keys;
  for (const auto& s : sessions) keys.push_back(s.key);
  return keys;
}

class SqliteListing : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.file("sessions.db");
  boost::asio::io_context io_;
  ManualClock clock_;
  SqliteUserSessionStore store_{{.path = path_, .partition = "app", .clock = clock_.clock()}};

  // "k0000", "k0001", ...: their key order is their number order.
  static std::string key(int i) {
    auto digits = std::to_string(i);
    return "k" + std::string(4 - digits.size(), '0') + digits;
  }

  // Creates sessions `first`..`last - 1` in a shuffled order, all queued at once.
  void add(SqliteUserSessionStore& store, int first, int last) {
    std::vector<int> order;
    for (int i = first; i < last; ++i) order.push_back(i);
    std::shuffle(order.begin(), order.end(), std::mt19937(42));
    std::size_t created = 0;
    for (int i : order) {
      boost::asio::co_spawn(
          io_,
          [&store, &created,
           s = make_session(key(i), "user-" + std::to_string(i % 7), std::nullopt,
                            clock_.now())]() mutable -> boost::asio::awaitable<void> {
            if (co_await store.create_user_session(std::move(s))) ++created;
          },
          boost::asio::detached);
    }
    io_.restart();
    io_.run();
    ASSERT_EQ(created, order.size());
  }
  void add(int first, int last) { add(store_, first, last); }

  StoreResult<Page> list(std::optional<std::string> after, std::size_t limit,
                         SqliteUserSessionStore* store = nullptr) {
    SqliteUserSessionStore::ListPage page{.after = std::move(after), .limit = limit};
    return run(io_, (store ? *store : store_).list_user_sessions(std::move(page)));
  }

  // Follows `next` to the end; each page must be full except the last.
  std::vector<std::string> list_all(std::size_t limit, std::size_t* pages = nullptr) {
    std::vector<std::string> keys;
    std::optional<std::string> after;
    std::size_t count = 0;
    for (;;) {
      auto page = list(after, limit);
      EXPECT_TRUE(page) << page.error().message();
      if (!page) break;
      ++count;
      for (const auto& s : page->sessions) keys.push_back(s.key);
      if (!page->next) break;
      EXPECT_EQ(page->sessions.size(), limit) << "only the last page may be short";
      EXPECT_EQ(page->next, page->sessions.back().key) << "next is the last key listed";
      after = page->next;
    }
    if (pages) *pages = count;
    return keys;
  }

  static std::vector<std::string> keys(int first, int last) {
    std::vector<std::string> out;
    for (int i = first; i < last; ++i) out.push_back(key(i));
    return out;
  }
};

TEST_F(SqliteListing, AnEmptyPartitionIsOneEmptyLastPage) {
  auto page = list(std::nullopt, 10);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->sessions.empty());
  EXPECT_EQ(page->next, std::nullopt);
}

TEST_F(SqliteListing, PagesListEverySessionOnceInKeyOrder) {
  add(0, 25);
  std::size_t pages = 0;
  EXPECT_EQ(list_all(10, &pages), keys(0, 25));
  EXPECT_EQ(pages, 3u);
  EXPECT_EQ(list_all(1, &pages), keys(0, 25));
  EXPECT_EQ(pages, 25u);
}

TEST_F(SqliteListing, AnExactMultipleOfThePageSizeEndsWithoutAnEmptyPage) {
  add(0, 20);
  std::size_t pages = 0;
  EXPECT_EQ(list_all(10, &pages), keys(0, 20));
  EXPECT_EQ(pages, 2u) << "the second page is full and says it is the last";
  auto whole = list(std::nullopt, 20);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->sessions.size(), 20u);
  EXPECT_EQ(whole->next, std::nullopt);
  auto short_by_one = list(std::nullopt, 19);
  ASSERT_TRUE(short_by_one);
  EXPECT_EQ(short_by_one->next, key(18));
}

TEST_F(SqliteListing, APageHoldsAtMostTheMaximum) {
  constexpr int n = static_cast<int>(SqliteUserSessionStore::max_page_size) + 1;
  add(0, n);
  auto first = list(std::nullopt, SqliteUserSessionStore::max_page_size);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->sessions.size(), SqliteUserSessionStore::max_page_size);
  ASSERT_TRUE(first->next);
  auto rest = list(first->next, SqliteUserSessionStore::max_page_size);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->sessions.size(), 1u);
  EXPECT_EQ(rest->sessions[0].key, key(n - 1));
  EXPECT_EQ(rest->next, std::nullopt);
}

TEST_F(SqliteListing, ListedSessionsAreWhole) {
  auto s = make_session("k-whole", "alice", "sid-1", clock_.now());
  s.expires = std::nullopt;
  auto stored = s;
  ASSERT_TRUE(run(io_, store_.create_user_session(std::move(s))));
  auto page = list(std::nullopt, 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->sessions.size(), 1u);
  const auto& listed = page->sessions[0];
  EXPECT_EQ(listed.key, stored.key);
  EXPECT_EQ(listed.partition_key, "app");
  EXPECT_EQ(listed.subject_id, "alice");
  EXPECT_EQ(listed.session_id, "sid-1");
  EXPECT_EQ(listed.created, stored.created);
  EXPECT_EQ(listed.renewed, stored.renewed);
  EXPECT_EQ(listed.expires, std::nullopt);
  EXPECT_EQ(listed.ticket, stored.ticket);
}

TEST_F(SqliteListing, AnotherPartitionsSessionsNeverAppear) {
  SqliteUserSessionStore other({.path = path_, .partition = "app-other", .clock = clock_.clock()});
  SqliteUserSessionStore prefix({.path = path_, .partition = "ap", .clock = clock_.clock()});
  add(other, 0, 30);  // the same keys as ours, and more
  add(prefix, 5, 15);
  add(0, 12);
  EXPECT_EQ(list_all(5), keys(0, 12));
  auto page = list(std::nullopt, 100);
  ASSERT_TRUE(page);
  for (const auto& s : page->sessions) EXPECT_EQ(s.partition_key, "app");
  auto theirs = list(key(11), 100, &other);
  ASSERT_TRUE(theirs);
  EXPECT_EQ(theirs->sessions.size(), 18u) << "a cursor from our listing still stays in theirs";
  ASSERT_TRUE(run(io_, store_.delete_user_sessions({.subject_id = "user-1"})));
  auto after_delete = list(std::nullopt, 100, &other);
  ASSERT_TRUE(after_delete);
  EXPECT_EQ(after_delete->sessions.size(), 30u);
}

TEST_F(SqliteListing, TheOrderIsStableAndNewSessionsNeverShiftAPage) {
  add(10, 30);
  auto first = list(std::nullopt, 5);
  ASSERT_TRUE(first);
  auto again = list(std::nullopt, 5);
  ASSERT_TRUE(again);
  EXPECT_EQ(in_order(first->sessions), in_order(again->sessions));
  EXPECT_EQ(first->next, key(14));

  add(0, 10);   // before the cursor: never listed by the pages that follow
  add(30, 33);  // after it: listed at the end
  std::vector<std::string> rest;
  for (auto after = first->next; after;) {
    auto page = list(after, 5);
    ASSERT_TRUE(page);
    for (const auto& s : page->sessions) rest.push_back(s.key);
    after = page->next;
  }
  EXPECT_EQ(rest, keys(15, 33));
}

TEST_F(SqliteListing, AKeyDeletedBetweenPagesIsSkippedAndTheNextPageStartsRightAfterIt) {
  add(0, 15);
  auto first = list(std::nullopt, 5);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->next, key(4));
  // The cursor's own session and one on the next page go away between the two calls.
  ASSERT_TRUE(run(io_, store_.delete_user_session(key(4))));
  ASSERT_TRUE(run(io_, store_.delete_user_session(key(6))));
  auto second = list(first->next, 5);
  ASSERT_TRUE(second);
  EXPECT_EQ(in_order(second->sessions),
            (std::vector<std::string>{key(5), key(7), key(8), key(9), key(10)}));
  auto third = list(second->next, 5);
  ASSERT_TRUE(third);
  EXPECT_EQ(in_order(third->sessions), keys(11, 15));
  EXPECT_EQ(third->next, std::nullopt);
}

TEST_F(SqliteListing, BadPagesAreInvalidArguments) {
  add(0, 3);
  for (auto [after, limit] : std::vector<std::pair<std::optional<std::string>, std::size_t>>{
           {std::nullopt, 0},
           {std::nullopt, SqliteUserSessionStore::max_page_size + 1},
           {std::string(), 10},
           {std::string(UserSessionLimits::max_key + 1, 'k'), 10}}) {
    auto page = list(after, limit);
    ASSERT_FALSE(page) << limit;
    EXPECT_EQ(page.error(), StoreErrc::invalid_argument) << limit;
  }
  auto beyond = list("zzz", 10);
  ASSERT_TRUE(beyond) << "a cursor past every key is an empty last page";
  EXPECT_TRUE(beyond->sessions.empty());
  EXPECT_EQ(beyond->next, std::nullopt);
}

TEST_F(SqliteListing, CancelledBeforeStartIsCancelled) {
  add(0, 3);
  boost::asio::cancellation_signal signal;
  std::optional<StoreResult<Page>> result;
  boost::asio::co_spawn(
      io_,
      [&]() -> boost::asio::awaitable<void> {
        co_await boost::asio::this_coro::throw_if_cancelled(false);
        signal.emit(boost::asio::cancellation_type::terminal);
        SqliteUserSessionStore::ListPage page{.limit = 10};
        result = co_await store_.list_user_sessions(std::move(page));
      },
      boost::asio::bind_cancellation_slot(signal.slot(), boost::asio::detached));
  io_.restart();
  io_.run();
  ASSERT_TRUE(result);
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error(), StoreErrc::cancelled);
}

}  // namespace
}  // namespace gatehouse::testing
