// The Redis store's pure parts, without a server: the URL, hash slots, replies, the key layout.
#include "stores/redis/redis_layout.hpp"
#include "stores/redis/redis_reply.hpp"
#include "stores/redis/redis_url.hpp"

#include <gtest/gtest.h>

#include <set>

namespace gatehouse::redis {
namespace {

RedisUrl parsed(std::string_view text) {
  auto result = parse_redis_url(text);
  EXPECT_TRUE(result.url) << text << ": " << result.error;
  return result.url.value_or(RedisUrl{});
}

std::string error_of(std::string_view text) {
  auto result = parse_redis_url(text);
  EXPECT_FALSE(result.url) << text;
  return result.error;
}

TEST(RedisUrl, PlainHostPortAndDatabase) {
  auto url = parsed("redis://cache.internal:6380/3");
  EXPECT_EQ(url.scheme, Scheme::plain);
  ASSERT_EQ(url.endpoints.size(), 1u);
  EXPECT_EQ(url.endpoints[0], (Endpoint{"cache.internal", 6380}));
  EXPECT_EQ(url.database, 3);
  EXPECT_TRUE(url.user.empty());
  EXPECT_TRUE(url.password.empty());

  auto defaults = parsed("redis://127.0.0.1");
  EXPECT_EQ(defaults.endpoints[0], (Endpoint{"127.0.0.1", 6379}));
  EXPECT_EQ(defaults.database, 0);
  EXPECT_EQ(parsed("redis://h:1/").database, 0);
  EXPECT_EQ(parsed("redis://[::1]:7000").endpoints[0], (Endpoint{"::1", 7000}));
  EXPECT_EQ(parsed("redis://[2001:db8::5]").endpoints[0].host, "2001:db8::5");
}

TEST(RedisUrl, CredentialsArePercentDecoded) {
  auto url = parsed("redis://app:p%40ss%3Aw%2Frd@h:1/0");
  EXPECT_EQ(url.user, "app");
  EXPECT_EQ(url.password, "p@ss:w/rd");
  auto only_password = parsed("redis://:secret@h");
  EXPECT_TRUE(only_password.user.empty());
  EXPECT_EQ(only_password.password, "secret");
  // A ':' in the password needs no escape (the first one separates).
  EXPECT_EQ(parsed("redis://u:a:b@h").password, "a:b");
}

TEST(RedisUrl, ClusterSeeds) {
  auto url = parsed("redis+cluster://:pw@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002");
  EXPECT_EQ(url.scheme, Scheme::cluster);
  ASSERT_EQ(url.endpoints.size(), 3u);
  EXPECT_EQ(url.endpoints[1], (Endpoint{"10.0.0.2", 7001}));
  EXPECT_EQ(url.endpoints[2], (Endpoint{"::1", 7002}));
  EXPECT_EQ(url.password, "pw");
  EXPECT_EQ(parsed("redis+cluster://h:1/0").database, 0);
  EXPECT_NE(error_of("redis+cluster://h:1/2").find("database 0"), std::string::npos);
}

TEST(RedisUrl, TlsIsParsedForTheStoreToRefuse) {
  EXPECT_EQ(parsed("rediss://h:6380").scheme, Scheme::tls);
}

TEST(RedisUrl, MalformedUrlsAreRefusedWithoutTheSecret) {
  const std::vector<std::string> bad = {
      "",
      "http://h",
      "REDIS://h",
      "redis://",
      "redis://h:",
      "redis://h:0",
      "redis://h:65536",
      "redis://h:+80",
      "redis://h:80x",
      "redis://h:1/x",
      "redis://h:1/-1",
      "redis://h:1/10000",
      "redis://h:1/1/2",
      "redis://h:1?ssl=true",
      "redis://h:1#frag",
      "redis://a,b",
      "redis://ho st",
      "redis://-h",
      "redis://h..x",
      "redis://[::1",
      "redis://[::1]x",
      "redis://[fe80::1%25eth0]",
      "redis://[not-v6]:1",
      "redis://topsecret@h",
      "redis://u:@h",
      "redis://u:top@secret@h",
      "redis://u:top%4@h",
      "redis://u:top%zzsecret@h",
      "redis://u:top%00secret@h",
      "redis://u:top secret@h",
      "redis://u:top/secret@h",
      std::string("redis://h") + std::string(5000, 'x'),
      "redis+cluster://h:1,",
      "redis+cluster://,h:1",
  };
  for (const auto& url : bad) {
    const auto error = error_of(url);
    EXPECT_FALSE(error.empty()) << url;
    EXPECT_EQ(error.find("secret"), std::string::npos) << url << " -> " << error;
  }
  EXPECT_NE(error_of("redis://u:a@b@h").find("%40"), std::string::npos);
  std::string many = "redis+cluster://h:1";
  for (int i = 0; i < 16; ++i) many += ",h:1";
  EXPECT_NE(error_of(many).find("16"), std::string::npos);
}

TEST(RedisUrl, EndpointsAreNamedWithBracketsForIpv6) {
  EXPECT_EQ(to_string(Endpoint{"::1", 7000}), "[::1]:7000");
  EXPECT_EQ(to_string(Endpoint{"cache", 6379}), "cache:6379");
}

TEST(RedisSlots, Crc16AndHashTagsAsRedisComputesThem) {
  // Values from Redis's CLUSTER KEYSLOT.
  EXPECT_EQ(key_slot("123456789"), 0x31C3 % slot_count);
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
  EXPECT_EQ(key_slot("foo{}{bar}"), key_slot(std::string("foo{}{bar}")));  // empty tag: whole key
  EXPECT_NE(key_slot("foo{}{bar}"), key_slot("bar"));
  EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
  EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
  EXPECT_EQ(key_slot(""), 0);
}

TEST(RedisReplies, RedirectionsAreParsed) {
  auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->kind, Redirect::Kind::moved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->endpoint, (Endpoint{"127.0.0.1", 6381}));
  auto ask = parse_redirect("ASK 0 ::1:7000");
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->kind, Redirect::Kind::ask);
  EXPECT_EQ(ask->endpoint, (Endpoint{"::1", 7000}));
  auto unknown_host = parse_redirect("MOVED 1 :7000");
  ASSERT_TRUE(unknown_host);
  EXPECT_TRUE(unknown_host->endpoint.host.empty());
  for (auto bad : {"MOVED", "MOVED 16384 h:1", "MOVED x h:1", "MOVED 1 h", "MOVED 1 h:0",
                   "MOVED 1 h:70000", "ASK 1", "ERR MOVED 1 h:1", "MOVED -1 h:1"})
    EXPECT_FALSE(parse_redirect(bad)) << bad;
}

TEST(RedisReplies, ClusterSlotsTable) {
  auto replies = parse_replies(
      "*2\r\n"
      "*3\r\n:0\r\n:5460\r\n*3\r\n$9\r\n127.0.0.1\r\n:7000\r\n$2\r\nid\r\n"
      "*4\r\n:5461\r\n:16383\r\n*2\r\n$0\r\n\r\n:7001\r\n*2\r\n$1\r\nr\r\n:1\r\n");
  ASSERT_TRUE(replies);
  ASSERT_EQ(replies->size(), 1u);
  auto table = parse_cluster_slots(replies->front(), "seed");
  ASSERT_TRUE(table);
  ASSERT_EQ(table->size(), 2u);
  EXPECT_EQ((*table)[0].first, 0);
  EXPECT_EQ((*table)[0].last, 5460);
  EXPECT_EQ((*table)[0].master, (Endpoint{"127.0.0.1", 7000}));
  EXPECT_EQ((*table)[1].master, (Endpoint{"seed", 7001})) << "no address: the node we asked";

  for (auto bad : {"*1\r\n*3\r\n:5\r\n:4\r\n*2\r\n$1\r\nh\r\n:1\r\n",
                   "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:1\r\n",
                   "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\nh\r\n:0\r\n", "*1\r\n*2\r\n:0\r\n:1\r\n",
                   "+OK\r\n", "*1\r\n:1\r\n"}) {
    auto r = parse_replies(bad);
    ASSERT_TRUE(r && r->size() == 1) << bad;
    EXPECT_FALSE(parse_cluster_slots(r->front(), "seed")) << bad;
  }
}

// The reader builds Reply values in place (the engine's connections use the same functions).
TEST(RedisReplies, ValuesKeepTheirNestingAndOrder) {
  auto replies = parse_replies("*3\r\n$3\r\nabc\r\n*2\r\n:7\r\n$-1\r\n*0\r\n+OK\r\n:-5\r\n*-1\r\n");
  ASSERT_TRUE(replies);
  ASSERT_EQ(replies->size(), 4u);
  const auto& top = (*replies)[0];
  ASSERT_EQ(top.type, Reply::Type::array);
  ASSERT_EQ(top.elements.size(), 3u);
  EXPECT_EQ(top.elements[0].type, Reply::Type::string);
  EXPECT_EQ(top.elements[0].text, "abc");
  ASSERT_EQ(top.elements[1].elements.size(), 2u);
  EXPECT_EQ(top.elements[1].elements[0].integer, 7);
  EXPECT_EQ(top.elements[1].elements[1].type, Reply::Type::nil);
  EXPECT_EQ(top.elements[2].type, Reply::Type::array);
  EXPECT_TRUE(top.elements[2].elements.empty());
  EXPECT_EQ((*replies)[1].type, Reply::Type::status);
  EXPECT_EQ((*replies)[1].text, "OK");
  EXPECT_EQ((*replies)[2].integer, -5);
  EXPECT_EQ((*replies)[3].type, Reply::Type::nil);

  std::string wide = "*3000\r\n";
  for (int i = 0; i < 3000; ++i) wide += "*1\r\n:" + std::to_string(i) + "\r\n";
  auto many = parse_replies(wide);
  ASSERT_TRUE(many && many->size() == 1);
  ASSERT_EQ(many->front().elements.size(), 3000u) << "beyond what the header reserved";
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(many->front().elements[i].elements.at(0).integer, i);
}

TEST(RedisReplies, ParsingRefusesBrokenOrOversizedInput) {
  EXPECT_FALSE(parse_replies("!bogus\r\n"));
  EXPECT_FALSE(parse_replies("*99999999999\r\n")) << "a header larger than the input";
  auto partial = parse_replies("$5\r\nab");
  ASSERT_TRUE(partial);
  EXPECT_TRUE(partial->empty()) << "incomplete: nothing yet";
  auto error = parse_replies("-NOSCRIPT No matching script\r\n");
  ASSERT_TRUE(error);
  EXPECT_TRUE(error->front().is_error("NOSCRIPT"));
  EXPECT_FALSE(error->front().is_error("NOSCRIP"));
}

TEST(RedisLayout, PartitionsGetOneNonEmptyHashTagEach) {
  EXPECT_EQ(partition_base("gatehouse", "app"), "gatehouse:{=app}:");
  EXPECT_EQ(partition_base("p", ""), "p:{=}:");
  EXPECT_EQ(partition_base("p", "a}b{c d%"), "p:{=a%7Db%7Bc%20d%25}:");
  std::set<std::string> bases;
  for (auto partition : {"app", "ap", "app/replay", "app%2Freplay", "", "%", "}"})
    EXPECT_TRUE(bases.insert(partition_base("p", partition)).second) << partition;
  // Every key of a partition hashes with its base: one slot.
  const auto base = partition_base("gatehouse", "app");
  EXPECT_EQ(key_slot(session_key(base, "k{x}")), key_slot(base));
  EXPECT_EQ(key_slot(base + "u:{alice}"), key_slot(base + "k"));
  EXPECT_NE(key_slot(partition_base("gatehouse", "app")),
            key_slot(partition_base("gatehouse", "b")));
}

TEST(RedisLayout, PrefixesThatWouldBreakTheTagAreInvalid) {
  EXPECT_TRUE(valid_prefix("gatehouse"));
  EXPECT_TRUE(valid_prefix(std::string(64, 'p')));
  for (auto bad : {std::string(), std::string(65, 'p'), std::string("a{b"), std::string("a}"),
                   std::string("a b"), std::string("a\nb")})
    EXPECT_FALSE(valid_prefix(bad)) << bad;
}

TEST(RedisLayout, TtlIsTheExpiryPlusTheGraceRelativeToTheStoresClock) {
  const Timestamp now{std::chrono::milliseconds(1'000'000)};
  std::vector<std::string> args;
  const std::optional<std::string> sid = "s";
  append_session_arguments(args, {"alice", sid, now, now, now + std::chrono::seconds(10), "t"},
                           now);
  ASSERT_EQ(args.size(), 7u);
  EXPECT_EQ(args[0], "alice");
  EXPECT_EQ(args[1], "s");
  EXPECT_EQ(args[4], "1010000");
  EXPECT_EQ(args[6], std::to_string(10'000 + expiry_grace.count()));
  args.clear();
  append_session_arguments(args, {"a", std::nullopt, now, now, now - std::chrono::hours(1), "t"},
                           now);
  EXPECT_EQ(args[1], "");
  EXPECT_EQ(args[6], "1") << "long past its grace: dropped by Redis at once";
  args.clear();
  append_session_arguments(args, {"a", sid, now, now, std::nullopt, "t"}, now);
  EXPECT_EQ(args[4], "");
  EXPECT_EQ(args[6], "") << "no expiry, no TTL";
}

Reply hash(std::vector<std::string> fields) {
  Reply r{.type = Reply::Type::array};
  for (auto& f : fields) r.elements.push_back({.type = Reply::Type::string, .text = std::move(f)});
  return r;
}

TEST(RedisLayout, RemovedSessionsDecodeStrictly) {
  auto removed = decode_expired(hash({"k1", "alice", "s1", "7", "k2", "bob", "", "1.8e+12"}));
  ASSERT_TRUE(removed);
  using std::chrono::milliseconds;
  EXPECT_EQ(*removed, (std::vector<ExpiredSession>{
                          {"k1", "alice", "s1", Timestamp(milliseconds(7))},
                          {"k2", "bob", std::nullopt, Timestamp(milliseconds(1'800'000'000'000))}}))
      << "a score as Redis may print it";
  ASSERT_TRUE(decode_expired(hash({})));
  EXPECT_TRUE(decode_expired(hash({}))->empty());
  for (auto bad : std::vector<std::vector<std::string>>{{"k1", "alice", "s1"},
                                                        {"k1", "alice", "s1", ""},
                                                        {"k1", "alice", "s1", "x"},
                                                        {"k1", "alice", "s1", "1e300"},
                                                        {"k1", "alice", "s1", "nan"}}) {
    auto r = decode_expired(hash(bad));
    ASSERT_FALSE(r) << bad[3];
    EXPECT_EQ(r.error(), StoreErrc::corrupt);
  }
  auto nested = hash({"k1", "alice", "s1"});
  nested.elements.push_back(hash({}));
  EXPECT_FALSE(decode_expired(nested)) << "every field a string";
  EXPECT_FALSE(decode_expired(Reply{.type = Reply::Type::integer}));
}

TEST(RedisLayout, SessionsDecodeStrictly) {
  auto full = decode_session("k",
                             hash({"sub", "alice", "sid", "s1", "cr", "5", "rn", "6", "ex", "7",
                                   "tk", std::string("t\0k", 3), "v", "3", "later", "x"}),
                             "app");
  ASSERT_TRUE(full);
  ASSERT_TRUE(*full);
  EXPECT_EQ((*full)->key, "k");
  EXPECT_EQ((*full)->partition_key, "app");
  EXPECT_EQ((*full)->session_id, "s1");
  EXPECT_EQ((*full)->expires, Timestamp(std::chrono::milliseconds(7)));
  EXPECT_EQ((*full)->ticket, std::string("t\0k", 3));
  EXPECT_EQ((*full)->version, 3u);
  auto none = decode_session("k", hash({}), "app");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  for (auto bad : std::vector<std::vector<std::string>>{
           {"sub"},
           {"sub", "a", "cr", "1", "rn", "1", "tk", "t"},
           {"sub", "a", "cr", "1", "rn", "1", "tk", "t", "v", "0"},
           {"sub", "a", "cr", "x", "rn", "1", "tk", "t", "v", "1"},
           {"sub", "a", "cr", "1", "rn", "1", "ex", "", "tk", "t", "v", "1"},
           {"cr", "1", "rn", "1", "tk", "t", "v", "1"}}) {
    auto r = decode_session("k", hash(bad), "app");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), StoreErrc::corrupt);
  }
  EXPECT_FALSE(decode_session("k", Reply{.type = Reply::Type::integer}, "app"));
  auto pairs = hash({"k"});
  pairs.elements.push_back(hash({"sub", "a", "cr", "1", "rn", "1", "tk", "t", "v", "1"}));
  auto listed = decode_sessions(pairs, "app");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().key, "k");
  EXPECT_FALSE(decode_sessions(hash({"k"}), "app"));
}

}  // namespace
}  // namespace gatehouse::redis
