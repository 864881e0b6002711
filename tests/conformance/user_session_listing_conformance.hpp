// Conformance of UserSessionStoreListing: every session of the partition, page by page, in key
// order; pages stay correct while sessions come and go between them. Every store that lists
// passes it (Traits as in store_fixture.hpp; the opened stores must implement the interface):
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, UserSessionStoreListingConformance, Types<MyTraits>);
#pragma once

#include "conformance/store_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <random>
#include <utility>

namespace gatehouse::testing {

template <class Traits>
class UserSessionStoreListingConformance : public StoreFixture<Traits> {
 public:
  // "k0000", "k0001", ...: their key order is their number order.
  static std::string key(int i) {
    auto digits = std::to_string(i);
    return "k" + std::string(4 - digits.size(), '0') + digits;
  }

  static std::vector<std::string> keys(int first, int last) {
    std::vector<std::string> out;
    for (int i = first; i < last; ++i) out.push_back(key(i));
    return out;
  }

  // The keys as listed (keys_of sorts them, which would hide an order bug).
  static std::vector<std::string> in_order(const std::vector<UserSession>& sessions) {
    std::vector<std::string> out;
    for (const auto& s : sessions) out.push_back(s.key);
    return out;
  }

  static UserSessionStoreListing& listing(UserSessionStore& store) {
    auto* l = dynamic_cast<UserSessionStoreListing*>(&store);
    if (!l) throw std::logic_error("store does not implement UserSessionStoreListing");
    return *l;
  }

  // Creates sessions `first`..`last - 1` in a shuffled order, all queued at once.
  void add(UserSessionStore& store, int first, int last) {
    std::vector<int> order;
    for (int i = first; i < last; ++i) order.push_back(i);
    std::shuffle(order.begin(), order.end(), std::mt19937(42));
    std::size_t created = 0;
    for (int i : order) {
      boost::asio::co_spawn(
          this->io_,
          [&store, &created,
           s = make_session(key(i), "user-" + std::to_string(i % 7), std::nullopt,
                            this->clock_.now())]() mutable -> boost::asio::awaitable<void> {
            if (co_await store.create_user_session(std::move(s))) ++created;
          },
          boost::asio::detached);
    }
    this->io_.restart();
    this->io_.run();
    ASSERT_EQ(created, order.size());
  }
  void add(int first, int last) { add(*this->store_, first, last); }

  StoreResult<UserSessionPage> list(std::optional<std::string> after, std::size_t limit,
                                    UserSessionStore* store = nullptr) {
    UserSessionPageRequest page{.after = std::move(after), .limit = limit};
    return this->run(listing(store ? *store : *this->store_).list_user_sessions(std::move(page)));
  }

  // Follows `next` to the end; each page must be full except the last.
  std::vector<std::string> list_all(std::size_t limit, std::size_t* pages = nullptr) {
    std::vector<std::string> out;
    std::optional<std::string> after;
    std::size_t count = 0;
    for (;;) {
      auto page = list(after, limit);
      EXPECT_TRUE(page) << page.error().message();
      if (!page) break;
      ++count;
      for (const auto& s : page->sessions) out.push_back(s.key);
      if (!page->next) break;
      EXPECT_EQ(page->sessions.size(), limit) << "only the last page may be short";
      EXPECT_EQ(page->next, page->sessions.back().key) << "next is the last key listed";
      after = page->next;
    }
    if (pages) *pages = count;
    return out;
  }
};

TYPED_TEST_SUITE_P(UserSessionStoreListingConformance);

TYPED_TEST_P(UserSessionStoreListingConformance, AnEmptyPartitionIsOneEmptyLastPage) {
  auto page = this->list(std::nullopt, 10);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->sessions.empty());
  EXPECT_EQ(page->next, std::nullopt);
}

TYPED_TEST_P(UserSessionStoreListingConformance, PagesListEverySessionOnceInKeyOrder) {
  this->add(0, 25);
  std::size_t pages = 0;
  EXPECT_EQ(this->list_all(10, &pages), this->keys(0, 25));
  EXPECT_EQ(pages, 3u);
  EXPECT_EQ(this->list_all(1, &pages), this->keys(0, 25));
  EXPECT_EQ(pages, 25u);
}

TYPED_TEST_P(UserSessionStoreListingConformance, AnExactMultipleEndsWithoutAnEmptyPage) {
  this->add(0, 20);
  std::size_t pages = 0;
  EXPECT_EQ(this->list_all(10, &pages), this->keys(0, 20));
  EXPECT_EQ(pages, 2u) << "the second page is full and says it is the last";
  auto whole = this->list(std::nullopt, 20);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->sessions.size(), 20u);
  EXPECT_EQ(whole->next, std::nullopt);
  auto short_by_one = this->list(std::nullopt, 19);
  ASSERT_TRUE(short_by_one);
  EXPECT_EQ(short_by_one->next, this->key(18));
}

TYPED_TEST_P(UserSessionStoreListingConformance, APageHoldsAtMostTheMaximum) {
  constexpr auto max = UserSessionPageRequest::max_limit;
  constexpr int n = static_cast<int>(max) + 1;
  this->add(0, n);
  auto first = this->list(std::nullopt, max);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->sessions.size(), max);
  ASSERT_TRUE(first->next);
  auto rest = this->list(first->next, max);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->sessions.size(), 1u);
  EXPECT_EQ(rest->sessions[0].key, this->key(n - 1));
  EXPECT_EQ(rest->next, std::nullopt);
}

TYPED_TEST_P(UserSessionStoreListingConformance, ListedSessionsAreWhole) {
  auto s = make_session("k-whole", "alice", "sid-1", this->clock_.now());
  s.expires = std::nullopt;
  auto stored = s;
  ASSERT_TRUE(this->run(this->store_->create_user_session(std::move(s))));
  auto page = this->list(std::nullopt, 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->sessions.size(), 1u);
  stored.partition_key = "app";
  stored.version = 1;
  EXPECT_EQ(page->sessions[0], stored);
}

TYPED_TEST_P(UserSessionStoreListingConformance, AnotherPartitionsSessionsNeverAppear) {
  auto other = this->open("app-other");
  auto prefix = this->open("ap");
  this->add(*other, 0, 30);  // the same keys as ours, and more
  this->add(*prefix, 5, 15);
  this->add(0, 12);
  EXPECT_EQ(this->list_all(5), this->keys(0, 12));
  auto page = this->list(std::nullopt, 100);
  ASSERT_TRUE(page);
  for (const auto& s : page->sessions) EXPECT_EQ(s.partition_key, "app");
  auto theirs = this->list(this->key(11), 100, other.get());
  ASSERT_TRUE(theirs);
  EXPECT_EQ(theirs->sessions.size(), 18u) << "a cursor from our listing still stays in theirs";
  ASSERT_TRUE(this->run(this->store_->delete_user_sessions({.subject_id = "user-1"})));
  auto after_delete = this->list(std::nullopt, 100, other.get());
  ASSERT_TRUE(after_delete);
  EXPECT_EQ(after_delete->sessions.size(), 30u);
}

TYPED_TEST_P(UserSessionStoreListingConformance, NewSessionsNeverShiftAPage) {
  this->add(10, 30);
  auto first = this->list(std::nullopt, 5);
  ASSERT_TRUE(first);
  auto again = this->list(std::nullopt, 5);
  ASSERT_TRUE(again);
  EXPECT_EQ(this->in_order(first->sessions), this->in_order(again->sessions));
  EXPECT_EQ(first->next, this->key(14));

  this->add(0, 10);   // before the cursor: never listed by the pages that follow
  this->add(30, 33);  // after it: listed at the end
  std::vector<std::string> rest;
  for (auto after = first->next; after;) {
    auto page = this->list(after, 5);
    ASSERT_TRUE(page);
    for (const auto& s : page->sessions) rest.push_back(s.key);
    after = page->next;
  }
  EXPECT_EQ(rest, this->keys(15, 33));
}

TYPED_TEST_P(UserSessionStoreListingConformance, AKeyDeletedBetweenPagesIsSkipped) {
  this->add(0, 15);
  auto first = this->list(std::nullopt, 5);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->next, this->key(4));
  // The cursor's own session and one on the next page go away between the two calls.
  ASSERT_TRUE(this->run(this->store_->delete_user_session(this->key(4))));
  ASSERT_TRUE(this->run(this->store_->delete_user_session(this->key(6))));
  auto second = this->list(first->next, 5);
  ASSERT_TRUE(second);
  EXPECT_EQ(this->in_order(second->sessions),
            (std::vector<std::string>{this->key(5), this->key(7), this->key(8), this->key(9),
                                      this->key(10)}));
  auto third = this->list(second->next, 5);
  ASSERT_TRUE(third);
  EXPECT_EQ(this->in_order(third->sessions), this->keys(11, 15));
  EXPECT_EQ(third->next, std::nullopt);
}

TYPED_TEST_P(UserSessionStoreListingConformance, BadPagesAreInvalidArguments) {
  this->add(0, 3);
  for (auto [after, limit] : std::vector<std::pair<std::optional<std::string>, std::size_t>>{
           {std::nullopt, 0},
           {std::nullopt, UserSessionPageRequest::max_limit + 1},
           {std::string(), 10},
           {std::string(UserSessionLimits::max_key + 1, 'k'), 10}}) {
    auto page = this->list(after, limit);
    ASSERT_FALSE(page) << limit;
    EXPECT_EQ(page.error(), StoreErrc::invalid_argument) << limit;
  }
  auto beyond = this->list("zzz", 10);
  ASSERT_TRUE(beyond) << "a cursor past every key is an empty last page";
  EXPECT_TRUE(beyond->sessions.empty());
  EXPECT_EQ(beyond->next, std::nullopt);
}

TYPED_TEST_P(UserSessionStoreListingConformance, CancelledBeforeStartIsCancelled) {
  this->add(0, 3);
  boost::asio::cancellation_signal signal;
  std::optional<StoreResult<UserSessionPage>> result;
  auto& listing = this->listing(*this->store_);
  boost::asio::co_spawn(
      this->io_,
      [&]() -> boost::asio::awaitable<void> {
        co_await boost::asio::this_coro::throw_if_cancelled(false);
        signal.emit(boost::asio::cancellation_type::terminal);
        UserSessionPageRequest page{.limit = 10};
        result = co_await listing.list_user_sessions(std::move(page));
      },
      boost::asio::bind_cancellation_slot(signal.slot(), boost::asio::detached));
  this->io_.restart();
  this->io_.run();
  ASSERT_TRUE(result);
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error(), StoreErrc::cancelled);
}

REGISTER_TYPED_TEST_SUITE_P(UserSessionStoreListingConformance, AnEmptyPartitionIsOneEmptyLastPage,
                            PagesListEverySessionOnceInKeyOrder,
                            AnExactMultipleEndsWithoutAnEmptyPage, APageHoldsAtMostTheMaximum,
                            ListedSessionsAreWhole, AnotherPartitionsSessionsNeverAppear,
                            NewSessionsNeverShiftAPage, AKeyDeletedBetweenPagesIsSkipped,
                            BadPagesAreInvalidArguments, CancelledBeforeStartIsCancelled);

}  // namespace gatehouse::testing
