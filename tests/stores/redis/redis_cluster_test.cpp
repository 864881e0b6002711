// The Redis store on a three-master Redis Cluster started on loopback: the conformance suites
// (listing is one script in one slot, as on a single server, and runs there),
// a partition in one slot, partitions spread over the masters, resharding under the store
// (ASK while the slot migrates, MOVED after), two instances.
#include "conformance/user_session_cleanup_conformance.hpp"
#include "conformance/user_session_partitions_conformance.hpp"
#include "conformance/user_session_store_conformance.hpp"
#include "stores/redis/redis_layout.hpp"
#include "stores/redis/redis_traits.hpp"
#include "stores/redis/redis_two_instances.hpp"

#include <set>

namespace gatehouse::testing {
namespace {

using namespace std::chrono_literals;
using redis::Reply;

using ClusterEngines = ::testing::Types<RedisClusterTraits, RedisClusterAttachedTraits>;
INSTANTIATE_TYPED_TEST_SUITE_P(RedisCluster, UserSessionStoreConformance, ClusterEngines);
INSTANTIATE_TYPED_TEST_SUITE_P(RedisCluster, UserSessionStoreCleanupConformance, ClusterEngines);
// Partitions of one engine land on different masters: the views route by slot.
INSTANTIATE_TYPED_TEST_SUITE_P(RedisCluster, UserSessionStorePartitionsConformance, ClusterEngines);

class RedisClusterStore : public ::testing::Test {
 protected:
  static RedisCluster& cluster() { return RedisClusterTraits::cluster(); }

  RedisStoreOptions options() const {
    return {.url = cluster().url(), .prefix = prefix_, .timeout = 10s};
  }

  std::shared_ptr<RedisUserSessionStore> open(std::string partition = "app") {
    return std::make_shared<RedisUserSessionStore>(
        UserSessionStoreContext{std::move(partition), clock_.clock()}, options());
  }

  // How many of this test's keys each node holds.
  std::vector<std::size_t> keys_per_node() {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < cluster().size(); ++i)
      out.push_back(cluster().node(i).command({"KEYS", prefix_ + ":*"}).elements.size());
    return out;
  }

  // The node serving `slot`, by CLUSTER SLOTS.
  std::size_t owner_of(std::uint16_t slot) {
    const auto table =
        redis::parse_cluster_slots(cluster().node(0).command({"CLUSTER", "SLOTS"}), "127.0.0.1");
    for (const auto& range : table.value())
      if (range.first <= slot && slot <= range.last)
        for (std::size_t i = 0; i < cluster().size(); ++i)
          if (cluster().node(i).port() == range.master.port) return i;
    throw std::runtime_error("no owner for slot " + std::to_string(slot));
  }

  std::string id_of(std::size_t node) {
    return cluster().node(node).command({"CLUSTER", "MYID"}).text;
  }

  std::string prefix_ = RedisTraitsBase::next_prefix();
  ManualClock clock_;
  boost::asio::io_context io_;
};

TEST_F(RedisClusterStore, APartitionLivesInOneSlotOnOneMaster) {
  auto store = open();
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(run(io_, store->create_user_session(
                             make_session("k" + std::to_string(i), "user-" + std::to_string(i % 5),
                                          "sid-" + std::to_string(i), clock_.now()))));
  auto counts = keys_per_node();
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts[0], 0u);
  EXPECT_EQ(counts[1], 0u);
  EXPECT_EQ(counts[2], 30u + 30u + 5u + 3u) << "records, sid keys, subject sets, k, x, o";
  const auto slot = redis::key_slot(redis::partition_base(prefix_, "app"));
  const auto owner = owner_of(slot);
  EXPECT_EQ(cluster().node(owner).command({"KEYS", prefix_ + ":*"}).elements.size(), 68u);
}

TEST_F(RedisClusterStore, PartitionsSpreadOverTheMasters) {
  auto store = open();
  for (int p = 0; p < 24; ++p) {
    auto partition = store->open_partition("tenant-" + std::to_string(p));
    ASSERT_TRUE(
        run(io_, partition->create_user_session(make_session("k", "a", "s", clock_.now()))));
  }
  std::size_t used = 0;
  for (auto n : keys_per_node()) used += n > 0;
  EXPECT_EQ(used, 3u) << "24 partitions over three masters";
  EXPECT_EQ(store->statistics().connections_ready, 3u) << "one connection per master";
}

// Moves the partition's slot to another master under a running store: while it migrates the
// source answers ASK, afterwards MOVED; the store follows both and loses nothing.
TEST_F(RedisClusterStore, ReshardingIsFollowedThroughAskAndMoved) {
  auto store = open();
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(
        run(io_, store->create_user_session(make_session(
                     "k" + std::to_string(i), "alice", "sid-" + std::to_string(i), clock_.now()))));
  const auto slot = std::to_string(redis::key_slot(redis::partition_base(prefix_, "app")));
  const auto source = owner_of(static_cast<std::uint16_t>(std::stoi(slot)));
  const auto target = (source + 1) % cluster().size();
  auto& from = cluster().node(source);
  auto& to = cluster().node(target);
  ASSERT_EQ(to.command({"CLUSTER", "SETSLOT", slot, "IMPORTING", id_of(source)}).text, "OK");
  ASSERT_EQ(from.command({"CLUSTER", "SETSLOT", slot, "MIGRATING", id_of(target)}).text, "OK");
  std::vector<std::string> migrate = {"MIGRATE", "127.0.0.1", std::to_string(to.port()), "", "0",
                                      "5000",    "KEYS"};
  for (const auto& key : from.command({"CLUSTER", "GETKEYSINSLOT", slot, "1000"}).elements)
    migrate.push_back(key.text);
  ASSERT_GT(migrate.size(), 7u);
  ASSERT_EQ(from.command(migrate).text, "OK");

  const auto redirects_before = store->statistics().redirects;
  auto during = run(io_, store->get_user_sessions({.subject_id = "alice"}));
  ASSERT_TRUE(during) << during.error().message();
  EXPECT_EQ(during->size(), 5u);
  ASSERT_TRUE(
      run(io_, store->create_user_session(make_session("new", "alice", "sid-new", clock_.now()))));
  EXPECT_GT(store->statistics().redirects, redirects_before) << "ASK";
  // (Other tests' prefixes share the slot: the hash tag is the partition.)
  EXPECT_EQ(to.command({"KEYS", prefix_ + ":*"}).elements.size(), 6u + 6u + 1u + 3u)
      << "written on the importing node";
  EXPECT_TRUE(from.command({"KEYS", prefix_ + ":*"}).elements.empty());

  for (std::size_t i = 0; i < cluster().size(); ++i)
    ASSERT_EQ(cluster().node(i).command({"CLUSTER", "SETSLOT", slot, "NODE", id_of(target)}).text,
              "OK");
  const auto redirects_after_ask = store->statistics().redirects;
  auto moved = run(io_, store->get_user_session("k3"));
  ASSERT_TRUE(moved) << moved.error().message();
  EXPECT_TRUE(*moved);
  EXPECT_GT(store->statistics().redirects, redirects_after_ask) << "MOVED";
  auto page = run(io_, store->list_user_sessions({.limit = 100}));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->sessions.size(), 6u);
  const auto redirects_settled = store->statistics().redirects;
  EXPECT_TRUE(run(io_, store->delete_user_session("k0")));
  EXPECT_EQ(store->statistics().redirects, redirects_settled) << "the slot table was updated";
}

TEST_F(RedisClusterStore, TwoInstancesKeepTheRulesUnderConcurrency) {
  check_two_instances(options(), clock_);
}

}  // namespace
}  // namespace gatehouse::testing
