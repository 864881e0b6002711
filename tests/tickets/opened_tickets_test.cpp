// The verified-session cache on its own (hits only for the very envelope, bounded, generations),
// and through the ticket store: with the cache warm, a revoked or changed session is seen on the
// very next load.
#include "tickets/opened_tickets.hpp"

#include <gatehouse/stores/memory_user_session_store.hpp>

#include "support/run.hpp"
#include "support/temp_dir.hpp"
#include "tickets/ticket_store.hpp"

#include <gtest/gtest.h>

namespace gatehouse::testing {
namespace {

using tickets::OpenedTicket;
using tickets::OpenedTickets;
using tickets::SessionTicket;

std::shared_ptr<const OpenedTicket> opened(std::string access) {
  SessionTicket t;
  t.access_token = std::move(access);
  return std::make_shared<const OpenedTicket>(std::move(t));
}

TEST(OpenedTickets, HitsOnlyTheSameEnvelopeUnderTheSameKeyAndGeneration) {
  crypto::KeyRing keys = crypto::KeyRing::generate();
  OpenedTickets cache(100);
  const auto sealed = keys.seal("plaintext", "k1");
  cache.insert("k1", sealed, 0, opened("a"));
  ASSERT_TRUE(cache.find("k1", sealed, 0));
  EXPECT_EQ(cache.find("k1", sealed, 0)->ticket().access_token, "a");
  EXPECT_FALSE(cache.find("k2", sealed, 0)) << "another key";
  EXPECT_FALSE(cache.find("k1", sealed, 1)) << "another key ring generation";
  EXPECT_FALSE(cache.find("k1", keys.seal("plaintext", "k1"), 0)) << "a new sealing, same text";
  auto shorter = sealed;
  shorter.pop_back();
  EXPECT_FALSE(cache.find("k1", shorter, 0));
  auto other_tag = sealed;
  other_tag.back() ^= 1;
  EXPECT_FALSE(cache.find("k1", other_tag, 0));
  EXPECT_FALSE(cache.find("k1", "", 0));
  cache.erase("k1");
  EXPECT_FALSE(cache.find("k1", sealed, 0));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(OpenedTickets, IsBoundedAndDropsTheLeastRecentlyUsed) {
  OpenedTickets cache(160);  // 16 shards of 10
  for (int i = 0; i < 2000; ++i) cache.insert("k" + std::to_string(i), "sealed", 0, opened("t"));
  EXPECT_LE(cache.size(), 160u);
  EXPECT_TRUE(cache.find("k1999", "sealed", 0)) << "the newest entry is kept";
  EXPECT_FALSE(cache.find("k0", "sealed", 0)) << "the oldest went first";
  OpenedTickets off(0);
  off.insert("k", "sealed", 0, opened("t"));
  EXPECT_FALSE(off.find("k", "sealed", 0));
}

TEST(OpenedTickets, ExpiredEntriesAreDroppedBeforeTheLruReachesThem) {
  OpenedTickets cache(16'000);  // far from full: only the expiry can drop entries
  const Timestamp t0{std::chrono::hours(1000)};
  // 200 sessions that expire at t0 + 1 min, 200 that live on, interleaved.
  for (int i = 0; i < 400; ++i)
    cache.insert("k" + std::to_string(i), "sealed", 0, opened("t"),
                 t0 + (i % 2 == 0 ? std::chrono::minutes(1) : std::chrono::hours(1)), t0);
  ASSERT_EQ(cache.size(), 400u) << "nothing expired yet";
  // Later logins: every shard sees enough inserts to sweep itself.
  const auto later = t0 + std::chrono::minutes(2);
  for (int i = 0; i < 16 * 64; ++i)
    cache.insert("new" + std::to_string(i), "sealed", 0, opened("t"), later + std::chrono::hours(1),
                 later);
  EXPECT_FALSE(cache.find("k0", "sealed", 0)) << "expired: gone";
  EXPECT_FALSE(cache.find("k398", "sealed", 0));
  EXPECT_TRUE(cache.find("k1", "sealed", 0)) << "still live: kept";
  EXPECT_TRUE(cache.find("k399", "sealed", 0));
  EXPECT_LE(cache.size(), 200u + 16u * 64u);
}

TEST(OpenedTickets, ReplacingAnEntryKeepsOneEntryPerKey) {
  OpenedTickets cache(100);
  cache.insert("k", "sealed-1", 0, opened("one"));
  cache.insert("k", "sealed-2", 0, opened("two"));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.find("k", "sealed-1", 0));
  EXPECT_EQ(cache.find("k", "sealed-2", 0)->ticket().access_token, "two");
}

TEST(OpenedTickets, RendersOncePerContext) {
  auto t = opened("a");
  int calls = 0;
  auto render = [&](const SessionTicket& ticket) {
    ++calls;
    return "body-" + ticket.access_token;
  };
  EXPECT_EQ(t->rendered("ctx", render), "body-a");
  EXPECT_EQ(t->rendered("ctx", render), "body-a");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(t->rendered("other", render), "body-a");
  EXPECT_EQ(calls, 2) << "another context is rendered, not served from the memo";
}

class WarmCacheTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  std::shared_ptr<InMemoryUserSessionStore> store_ = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app", .clock = clock_.clock()});
  std::shared_ptr<crypto::KeyRing> keys_ =
      std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate());
  tickets::TicketStore tickets_{store_, keys_, {}, clock_.clock()};
  boost::asio::io_context io_;

  std::string login() {
    SessionTicket t;
    t.claims["sub"] = "alice";
    t.access_token = "first";
    auto issued = run(io_, tickets_.create("alice", "sid", t));
    EXPECT_TRUE(issued);
    return issued->handle;
  }
  std::optional<tickets::ActiveSession> load(const std::string& handle) {
    auto r = run(io_, tickets_.load(handle, false));
    EXPECT_TRUE(r);
    return r ? *r : std::nullopt;
  }
};

TEST_F(WarmCacheTest, TheSameTicketIsSharedWhileTheRowIsUnchanged) {
  const auto handle = login();
  auto a = load(handle);
  auto b = load(handle);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->opened.get(), b->opened.get()) << "opened once, shared";
}

TEST_F(WarmCacheTest, ARevocationElsewhereShowsOnTheNextLoad) {
  const auto handle = login();
  ASSERT_TRUE(load(handle));
  ASSERT_TRUE(load(handle));
  // Another instance deletes the row directly in the store: nothing told this cache.
  auto key = tickets::TicketStore::key_for_handle(handle);
  ASSERT_TRUE(run(io_, store_->delete_user_session(*key)));
  EXPECT_FALSE(load(handle));
}

TEST_F(WarmCacheTest, AChangedTicketIsOpenedAfresh) {
  const auto handle = login();
  ASSERT_EQ(load(handle)->ticket().access_token, "first");
  auto key = *tickets::TicketStore::key_for_handle(handle);
  // A refresh on another instance: a second ticket store over the same store and key ring.
  tickets::TicketStore elsewhere(store_, keys_, {}, clock_.clock());
  auto updated =
      run(io_, elsewhere.update_ticket(key, [](SessionTicket& t) { t.access_token = "second"; }));
  ASSERT_TRUE(updated && *updated);
  EXPECT_EQ(load(handle)->ticket().access_token, "second");
}

TEST_F(WarmCacheTest, ARotatedKeyRingOpensEverythingAfresh) {
  const auto handle = login();
  auto before = load(handle);
  keys_->rotate();
  auto after = load(handle);
  ASSERT_TRUE(before && after);
  EXPECT_NE(before->opened.get(), after->opened.get());
  EXPECT_EQ(after->ticket().access_token, "first");
}

// keys rotate + keys retire in another process, then the live reload: the session whose key was
// retired ends on the very next load, though its opened ticket sat in the cache.
TEST(WarmCacheReload, ARetiredKeysSessionEndsOnTheNextLoad) {
  TempDir dir;
  const auto file = dir.path() / "keys.json";
  ManualClock clock;
  auto store = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app", .clock = clock.clock()});
  auto keys = std::make_shared<crypto::KeyRing>(crypto::KeyRing::load_or_create(file));
  tickets::TicketStore tickets(store, keys, {}, clock.clock());
  boost::asio::io_context io;
  auto login = [&](std::string sub) {
    SessionTicket t;
    t.claims["sub"] = sub;
    auto issued = run(io, tickets.create(sub, sub + "-sid", t));
    EXPECT_TRUE(issued);
    return issued->handle;
  };
  auto loads = [&](const std::string& handle) {
    auto r = run(io, tickets.load(handle, false));
    EXPECT_TRUE(r);
    return r && *r;
  };
  const auto old_session = login("alice");
  ASSERT_TRUE(loads(old_session));
  ASSERT_TRUE(loads(old_session));  // now served from the cache

  crypto::KeyRing operator_ring = crypto::KeyRing::load_or_create(file);
  const std::string old_kid = operator_ring.active_kid();
  operator_ring.rotate();
  ASSERT_TRUE(keys->reload().keys_changed);
  EXPECT_TRUE(loads(old_session)) << "rotated: the old key still opens it";
  const auto new_session = login("bob");
  EXPECT_TRUE(loads(new_session));

  ASSERT_EQ(operator_ring.retire(old_kid), crypto::KeyRing::RetireOutcome::retired);
  ASSERT_TRUE(keys->reload().keys_changed);
  EXPECT_FALSE(loads(old_session)) << "retired: its ticket no longer opens, cache or not";
  EXPECT_TRUE(loads(new_session)) << "sealed with the new key";
}

}  // namespace
}  // namespace gatehouse::testing
