// Who the client is behind trusted proxies: X-Forwarded-For is believed only from a listed peer,
// walked from the right past listed proxies; junk ends the walk; the peer of an unlisted
// connection is the client whatever it claims; networks match by prefix, IPv4-mapped IPv6 as
// IPv4; bad list entries are refused with the entry named.
#include "http/trusted_proxies.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace gatehouse::http {
namespace {

Fields forwarded(std::initializer_list<std::string> values) {
  Fields f{{"Host", "app.example.com"}};
  for (const auto& v : values) f.emplace_back("X-Forwarded-For", v);
  return f;
}

TEST(TrustedProxies, WithoutAListThePeerIsTheClient) {
  const TrustedProxies none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.client_address("10.0.0.5", forwarded({"203.0.113.7"})), "10.0.0.5");
}

TEST(TrustedProxies, AnUnlistedPeerCannotClaimAnAddress) {
  const TrustedProxies proxies({"10.0.0.0/8"});
  EXPECT_EQ(proxies.client_address("198.51.100.9", forwarded({"203.0.113.7"})), "198.51.100.9");
}

TEST(TrustedProxies, AListedPeerNamesTheClient) {
  const TrustedProxies proxies({"10.0.0.0/8"});
  EXPECT_EQ(proxies.client_address("10.1.2.3", forwarded({"203.0.113.7"})), "203.0.113.7");
  // No X-Forwarded-For: the proxy itself is all there is to say.
  EXPECT_EQ(proxies.client_address("10.1.2.3", forwarded({})), "10.1.2.3");
}

TEST(TrustedProxies, TheWalkStopsAtTheFirstUnlistedAddressFromTheRight) {
  const TrustedProxies proxies({"10.0.0.0/8", "192.0.2.1"});
  // The browser wrote "1.1.1.1" itself; 203.0.113.7 reached the first proxy (192.0.2.1), which
  // reached the load balancer (10.0.0.2), the peer.
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"1.1.1.1, 203.0.113.7, 192.0.2.1"})),
            "203.0.113.7");
  // Fields count in order, as one list.
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"1.1.1.1, 203.0.113.7", "192.0.2.1"})),
            "203.0.113.7");
  // Every hop a proxy: the leftmost is the closest to the client there is.
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"10.9.9.9, 192.0.2.1"})), "10.9.9.9");
}

TEST(TrustedProxies, JunkEndsTheWalkAtTheProxyThatPassedItOn) {
  const TrustedProxies proxies({"10.0.0.0/8"});
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"203.0.113.7, evil"})), "10.0.0.2");
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"203.0.113.7, 10.0.0.3, evil\n"})),
            "10.0.0.2");
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"evil, 10.0.0.3"})), "10.0.0.3");
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"010.0.0.1"})), "10.0.0.2")
      << "leading zeros (octal to some parsers) are not an address";
  // Empty list elements are skipped, white space around elements is not part of them.
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({" 203.0.113.7 ,, "})), "203.0.113.7");
}

TEST(TrustedProxies, PortsAndBracketsAreUnderstoodAndDropped) {
  const TrustedProxies proxies({"10.0.0.0/8"});
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"203.0.113.7:51234"})), "203.0.113.7");
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"[2001:db8::1]:443"})), "2001:db8::1");
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"[2001:db8::1]"})), "2001:db8::1");
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"2001:db8:0:0::1"})), "2001:db8::1");
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"[203.0.113.7]"})), "10.0.0.2");
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({"[2001:db8::1]x"})), "10.0.0.2");
}

TEST(TrustedProxies, NetworksMatchByPrefixInTheirOwnFamily) {
  const TrustedProxies proxies({"192.168.4.0/22", "fd00::/8", "127.0.0.1", "::1"});
  EXPECT_TRUE(proxies.contains("192.168.7.255"));
  EXPECT_FALSE(proxies.contains("192.168.8.0"));
  EXPECT_TRUE(proxies.contains("fdab::1"));
  EXPECT_FALSE(proxies.contains("fe00::1"));
  EXPECT_TRUE(proxies.contains("127.0.0.1"));
  EXPECT_FALSE(proxies.contains("127.0.0.2"));
  EXPECT_TRUE(proxies.contains("::1"));
  EXPECT_TRUE(proxies.contains("::ffff:127.0.0.1")) << "a dual-stack socket's IPv4 peer";
  EXPECT_FALSE(proxies.contains("not an address"));
  EXPECT_FALSE(proxies.contains(""));
  const TrustedProxies everyone({"0.0.0.0/0"});
  EXPECT_TRUE(everyone.contains("8.8.8.8"));
  EXPECT_FALSE(everyone.contains("::1")) << "an IPv4 network never matches IPv6";
}

TEST(TrustedProxies, AMappedPeerIsTreatedAndReportedAsIpv4) {
  const TrustedProxies proxies({"127.0.0.1"});
  EXPECT_EQ(proxies.client_address("::ffff:127.0.0.1", forwarded({"::ffff:203.0.113.7"})),
            "203.0.113.7");
}

TEST(TrustedProxies, OnlyTheLast64EntriesAreLookedAt) {
  const TrustedProxies proxies({"10.0.0.0/8"});
  std::string chain = "203.0.113.7";
  for (int i = 0; i < 70; ++i) chain += ", 10.0.0.9";
  EXPECT_EQ(proxies.client_address("10.0.0.2", forwarded({chain})), "10.0.0.9");
}

TEST(TrustedProxies, BadEntriesAreRefusedByName) {
  const auto refused = [](const std::string& entry) {
    try {
      TrustedProxies p({"10.0.0.0/8", entry});
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refused("10.0.0.0/33").find("\"10.0.0.0/33\" has a prefix length"), std::string::npos);
  EXPECT_NE(refused("fd00::/129").find("0 to 128"), std::string::npos);
  EXPECT_NE(refused("10.0.0.1/8").find("host bits"), std::string::npos);
  EXPECT_NE(refused("example.com").find("\"example.com\" is not an IP address"), std::string::npos);
  EXPECT_NE(refused("10.0.0.0/").find("prefix length"), std::string::npos);
  EXPECT_NE(refused("10.0.0.0/8x").find("prefix length"), std::string::npos);
  EXPECT_NE(refused("").find("is not an IP address"), std::string::npos);
  EXPECT_EQ(refused("fd00::/8"), "accepted");
  EXPECT_EQ(refused("0.0.0.0/0"), "accepted");
}

}  // namespace
}  // namespace gatehouse::http
