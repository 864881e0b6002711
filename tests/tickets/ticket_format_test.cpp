// The sealed ticket's formats: v1 tickets still open, v2 round-trips and stays small, and no
// input (truncated, garbage, a decompression bomb) gets more than a nullopt.
#include "tickets/ticket.hpp"

#include "crypto/key_ring.hpp"
#include "tickets/compression.hpp"
#include "tickets/ticket_fixtures.hpp"
#include "tickets/ticket_format.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <limits>
#include <random>
#include <string>

namespace gatehouse::testing {
namespace {

using tickets::parse_ticket;
using tickets::serialize_ticket;
using tickets::SessionTicket;

SessionTicket parsed(std::string_view plaintext) {
  auto t = parse_ticket(plaintext);
  EXPECT_TRUE(t) << plaintext.substr(0, 80);
  return t.value_or(SessionTicket{});
}

// A v2 plaintext around any body (no dictionary: a stream that refers to none inflates the same).
std::string v2_plaintext(std::string_view body) {
  return std::string(1, tickets::ticket_format_v2) + tickets::deflate_raw(body, "");
}

SessionTicket opaque_ticket() {
  SessionTicket t;
  t.claims["sub"] = "alice";
  t.claims["amr"] = boost::json::array{"pwd", "mfa"};
  t.id_token = "id-token-alice";
  t.access_token = "access+token/with=padding==";
  return t;
}

TEST(TicketFormat, ResourceTokensStayWithinWhatEveryFormatReads) {
  SessionTicket t;
  t.id_token = "id";
  t.access_token = "at";
  for (int i = 0; i < 20; ++i) {
    auto& slot = t.resource_slot("urn:api:" + std::to_string(i));
    slot.access_token = "token-" + std::to_string(i);
    slot.access_token_expires_at = 1000 + (i == 3 ? 5000 : i);  // api 3 expires last
  }
  ASSERT_EQ(t.resource_tokens.size(), tickets::max_resource_tokens);
  EXPECT_TRUE(t.find_resource("urn:api:19")) << "the newest is kept";
  EXPECT_TRUE(t.find_resource("urn:api:3")) << "the one expiring last is kept";
  EXPECT_FALSE(t.find_resource("urn:api:0")) << "the ones expiring first made room";
  auto& again = t.resource_slot("urn:api:19");
  EXPECT_EQ(again.access_token, "token-19") << "an existing entry is reused";
  EXPECT_EQ(t.resource_tokens.size(), tickets::max_resource_tokens);
  const auto parsed = parse_ticket(serialize_ticket(t));
  ASSERT_TRUE(parsed) << "a full ticket still opens";
  EXPECT_EQ(*parsed, t);
}

TEST(TicketFormat, V1TicketsOfTheDevProviderStillOpen) {
  const auto login = parsed(kV1DevLogin);
  EXPECT_EQ(login.claims.at("sub"), "alice");
  EXPECT_EQ(login.claims.at("email"), "alice@example.com");
  EXPECT_EQ(login.claims.at("sid"), "xOdsLWbnuJtETAjpKLwuV92qR4N7_yvUJ6anAjCILtY");
  EXPECT_EQ(login.id_token.substr(0, 36), "eyJhbGciOiJSUzI1NiIsImtpZCI6ImIyNjk4");
  EXPECT_EQ(login.id_token.size(), 811u);
  EXPECT_EQ(login.access_token.size(), 739u);
  EXPECT_EQ(login.refresh_token, "5KmpFYcTFNvmPYmXCNXajUiia9FQQIK2_lHJtug8wWz");
  EXPECT_EQ(login.access_token_expires_at, 1796124028);
  EXPECT_EQ(login.token_type, "Bearer");
  EXPECT_TRUE(login.resource_tokens.empty());

  const auto later = parsed(kV1DevLoginAfterApiCall);
  EXPECT_EQ(later.claims, login.claims);
  EXPECT_NE(later.refresh_token, login.refresh_token);
  ASSERT_EQ(later.resource_tokens.size(), 1u);
  const auto* api = later.find_resource("urn:gatehouse:demo-api");
  ASSERT_TRUE(api);
  EXPECT_NE(api->access_token, login.access_token);
  EXPECT_EQ(api->access_token_expires_at, 1796124028);

  const auto dpop = parsed(kV1DpopResources);
  EXPECT_EQ(dpop.token_type, "DPoP");
  EXPECT_EQ(dpop.claims.at("amr"), (boost::json::array{"pwd", "mfa"}));
  ASSERT_EQ(dpop.resource_tokens.size(), 2u);
  EXPECT_EQ(dpop.resource_tokens[0].token_type, "DPoP");
  EXPECT_EQ(dpop.resource_tokens[0].access_token_expires_at, 1'900'000'000);
  EXPECT_EQ(dpop.resource_tokens[1].token_type, "Bearer");
  EXPECT_FALSE(dpop.resource_tokens[1].access_token_expires_at);
}

TEST(TicketFormat, V2RoundTripsEveryTicketClaimsIncluded) {
  auto extreme = opaque_ticket();
  extreme.refresh_token = "";
  extreme.access_token_expires_at = std::numeric_limits<std::int64_t>::min();
  extreme.resource_tokens.push_back({"", "", "", std::numeric_limits<std::int64_t>::max()});
  extreme.resource_tokens.push_back({"urn:jwe", "a..b.c.d", "DPoP", -1});
  extreme.resource_tokens.push_back({"urn:six", "a.b.c.d.e.f", "Bearer", 0});
  for (const auto& t : {parsed(kV1DevLogin), parsed(kV1DevLoginAfterApiCall),
                        parsed(kV1DpopResources), opaque_ticket(), extreme, SessionTicket{}}) {
    const auto plaintext = serialize_ticket(t);
    ASSERT_EQ(plaintext.front(), tickets::ticket_format_v2) << "newest format, tagged";
    const auto back = parse_ticket(plaintext);
    ASSERT_TRUE(back) << t.id_token;
    EXPECT_EQ(*back, t);
    EXPECT_EQ(tickets::decode_ticket_v2_body(tickets::encode_ticket_v2_body(t)), t);
  }
}

TEST(TicketFormat, ClaimsThatAreTheIdTokensPayloadAreNotStoredTwice) {
  const auto login = parsed(kV1DevLogin);
  const auto body = tickets::encode_ticket_v2_body(login);
  EXPECT_EQ(body.front() & 1, 0) << "claims taken from the id_token";
  const auto sid = body.find("\"sid\":\"xOds");
  EXPECT_NE(sid, std::string::npos) << "in the id_token's payload, stored decoded";
  EXPECT_EQ(sid, body.rfind("\"sid\":\"xOds")) << "and only there";

  auto changed = login;  // claims no longer the token's: stored, and kept
  changed.claims["sid"] = "other";
  EXPECT_EQ(tickets::encode_ticket_v2_body(changed).front() & 1, 1);
  EXPECT_EQ(parse_ticket(serialize_ticket(changed))->claims.at("sid"), "other");
  auto fewer = login;
  fewer.claims.erase("email");
  EXPECT_EQ(parse_ticket(serialize_ticket(fewer)), fewer);
}

TEST(TicketFormat, StoredClaimsComeBackExactly) {
  auto t = opaque_ticket();  // its id_token is no JWT: the claims are stored
  // Boost.JSON 1.81 writes an infinity as "Infinity", which it cannot read, and reads this
  // double back 1 ulp off: claims stored as JSON text would lose both.
  t.claims["huge"] = boost::json::parse("1e999");
  t.claims["drifts"] = 1.3927926388013963E-143;
  t.claims["u64"] = std::numeric_limits<std::uint64_t>::max();
  t.claims["i64"] = std::numeric_limits<std::int64_t>::min();
  t.claims["nested"] = boost::json::parse(R"({"a":[1,null,true,false,"x",{"b":[]}],"":{}})");
  EXPECT_EQ(parse_ticket(serialize_ticket(t)), t);
  t.claims["nan"] = std::numeric_limits<double>::quiet_NaN();
  const auto back = parse_ticket(serialize_ticket(t));
  ASSERT_TRUE(back) << "a NaN (no JSON has one) must not make the ticket unreadable";
  EXPECT_TRUE(back->claims.at("nan").is_null());

  boost::json::value deep = boost::json::array{};
  for (int i = 2; i < 32; ++i) deep = boost::json::array{deep};
  t.claims = {{"deep", deep}};  // 32 levels deep, the claims object included
  EXPECT_EQ(parse_ticket(serialize_ticket(t)), t);
  t.claims = {{"deeper", boost::json::array{deep}}};
  EXPECT_FALSE(parse_ticket(serialize_ticket(t)));
}

// Measures what issue #11 asked for; prints the sizes (ctest -V shows them).
TEST(TicketFormat, SealedDevProviderTicketsFitInOneAndAHalfKibibytes) {
  const auto ring = crypto::KeyRing::generate();
  const std::string key(43, 'k');  // a store key is 43 base64url characters
  for (const auto v1 : {kV1DevLogin, kV1DevLoginAfterApiCall}) {
    const auto ticket = parsed(v1);
    const auto v2 = serialize_ticket(ticket);
    const auto sealed_v1 = ring.seal(v1, key).size();
    const auto sealed_v2 = ring.seal(v2, key).size();
    std::cout << "dev-provider ticket (" << ticket.resource_tokens.size()
              << " resource tokens): v1 " << v1.size() << " B, sealed " << sealed_v1 << " B; v2 "
              << v2.size() << " B (body " << tickets::encode_ticket_v2_body(ticket).size()
              << " B before deflate), sealed " << sealed_v2 << " B\n";
    EXPECT_LE(sealed_v2, 1536u);
    EXPECT_LT(sealed_v2 * 2, sealed_v1) << "less than half of v1";
  }
}

TEST(TicketFormat, OtherVersionsAndSpellingsAreRefused) {
  EXPECT_FALSE(parse_ticket(""));
  EXPECT_FALSE(parse_ticket("{}"));
  EXPECT_FALSE(parse_ticket("not json"));
  EXPECT_FALSE(parse_ticket(R"({"v":2,"claims":{},"id_token":"","access_token":""})"));
  auto v3 = serialize_ticket(opaque_ticket());
  v3.front() = 0x03;
  EXPECT_FALSE(parse_ticket(v3));
  const auto body = tickets::encode_ticket_v2_body(opaque_ticket());
  ASSERT_TRUE(parse_ticket(v2_plaintext(body)));
  EXPECT_FALSE(parse_ticket(v2_plaintext(body + '\0'))) << "bytes after the body";
  EXPECT_FALSE(parse_ticket(serialize_ticket(opaque_ticket()) + '\0')) << "after the stream";
  for (const std::uint8_t flag : {0x10, 0x20, 0x80}) {  // 0x10: without the client it announces
    auto unknown = body;
    unknown.front() = static_cast<char>(unknown.front() | flag);
    EXPECT_FALSE(tickets::decode_ticket_v2_body(unknown)) << "flag " << int{flag};
  }
  const std::string too_long_varint = std::string(1, '\x01') + std::string(10, '\xff') + '\x01';
  EXPECT_FALSE(tickets::decode_ticket_v2_body(too_long_varint));
  EXPECT_FALSE(parse_ticket(std::string(tickets::max_ticket_bytes + 1, '{')));
}

TEST(TicketFormat, TheLoginClientRoundTripsAndTicketsWithoutOneStillOpen) {
  // A ticket without a client is written exactly as before the client existed (no flag 16, no
  // bytes), so what was sealed then opens now, with no client.
  const auto old_body = tickets::encode_ticket_v2_body(opaque_ticket());
  EXPECT_EQ(old_body.front() & 0x10, 0);
  const auto opened = parse_ticket(v2_plaintext(old_body));
  ASSERT_TRUE(opened);
  EXPECT_FALSE(opened->client);

  auto t = parsed(kV1DevLogin);
  EXPECT_FALSE(t.client) << "v1 never had one";
  t.client = tickets::LoginClient{"Firefox 121 on Windows", "2001:db8::1"};
  const auto body = tickets::encode_ticket_v2_body(t);
  EXPECT_EQ(body.front() & 0x10, 0x10);
  ASSERT_GT(body.size(), 12u);
  EXPECT_EQ(body.substr(body.size() - 12), std::string(1, '\x0b') + "2001:db8::1")
      << "device and address close the body";
  const auto back = parse_ticket(serialize_ticket(t));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->client, t.client);
  EXPECT_EQ(*back, t);

  auto empty = opaque_ticket();
  empty.client = tickets::LoginClient{};
  EXPECT_EQ(parse_ticket(serialize_ticket(empty))->client, tickets::LoginClient{});

  // Written cut to the bound; longer fields (never written), a missing address and bytes after
  // it are refused.
  auto huge = opaque_ticket();
  huge.client = tickets::LoginClient{std::string(500, 'd'), std::string(500, 'a')};
  const auto cut = parse_ticket(serialize_ticket(huge));
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->client->device, std::string(tickets::max_login_client_field, 'd'));
  EXPECT_EQ(cut->client->address, std::string(tickets::max_login_client_field, 'a'));
  const auto with_client = tickets::encode_ticket_v2_body(empty);  // ends with two empty strings
  ASSERT_EQ(with_client.substr(with_client.size() - 2), std::string(2, '\0'));
  EXPECT_FALSE(tickets::decode_ticket_v2_body(with_client.substr(0, with_client.size() - 1)));
  const auto address_of = [&](std::size_t n) {
    auto b = with_client.substr(0, with_client.size() - 1);
    b += static_cast<char>(n);  // a one-byte varint below 128
    return b + std::string(n, 'a');
  };
  EXPECT_TRUE(tickets::decode_ticket_v2_body(address_of(tickets::max_login_client_field)));
  EXPECT_FALSE(tickets::decode_ticket_v2_body(address_of(tickets::max_login_client_field + 1)));
  EXPECT_FALSE(tickets::decode_ticket_v2_body(address_of(1) + '\0')) << "trailing byte";
}

TEST(TicketFormat, TooManyResourceTokensAreRefused) {
  auto t = opaque_ticket();
  for (std::size_t i = 0; i < tickets::max_resource_tokens; ++i)
    t.resource_tokens.push_back({"urn:r" + std::to_string(i), "token", "Bearer", {}});
  ASSERT_EQ(parse_ticket(serialize_ticket(t)), t);
  t.resource_tokens.push_back({"urn:one-more", "token", "Bearer", {}});
  EXPECT_FALSE(parse_ticket(serialize_ticket(t)));
}

TEST(TicketFormat, InflatingStopsAtTheCap) {
  const std::string zeros(tickets::max_ticket_bytes, '\0');
  const auto packed = tickets::deflate_raw(zeros, "");
  EXPECT_LT(packed.size(), 1024u) << "a bomb: tiny in, large out";
  EXPECT_EQ(tickets::inflate_raw(packed, "", zeros.size()), zeros) << "up to the cap: fine";
  EXPECT_FALSE(tickets::inflate_raw(packed, "", zeros.size() - 1));
  const auto bomb = tickets::deflate_raw(std::string(8 * tickets::max_ticket_bytes, 'A'), "");
  EXPECT_FALSE(tickets::inflate_raw(bomb, "", tickets::max_ticket_bytes));
  EXPECT_FALSE(parse_ticket(std::string(1, tickets::ticket_format_v2) + bomb));
  EXPECT_FALSE(parse_ticket(v2_plaintext(zeros + '\0'))) << "one byte over the cap";
}

TEST(TicketFormat, TruncatedTicketsAreRefused) {
  for (const auto& t : {parsed(kV1DevLoginAfterApiCall), opaque_ticket()}) {
    const auto plaintext = serialize_ticket(t);
    const auto body = tickets::encode_ticket_v2_body(t);
    for (std::size_t n = 0; n < plaintext.size(); ++n)
      EXPECT_FALSE(parse_ticket(plaintext.substr(0, n))) << n << " of " << plaintext.size();
    for (std::size_t n = 0; n < body.size(); ++n)
      EXPECT_FALSE(tickets::decode_ticket_v2_body(body.substr(0, n))) << n << " of " << body.size();
  }
  for (std::size_t n = 0; n < kV1DevLogin.size(); ++n)
    EXPECT_FALSE(parse_ticket(kV1DevLogin.substr(0, n))) << n;
}

TEST(TicketFormat, GarbageAndFlippedBitsNeverCrash) {
  std::mt19937 random(11);  // fixed seed: a failure replays
  std::uniform_int_distribution<int> byte(0, 255);
  const auto body = tickets::encode_ticket_v2_body(parsed(kV1DevLoginAfterApiCall));
  const auto plaintext = serialize_ticket(parsed(kV1DevLoginAfterApiCall));
  int opened = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string garbage(static_cast<std::size_t>(round % 300), '\0');
    for (auto& c : garbage) c = static_cast<char>(byte(random));
    opened += parse_ticket(std::string(1, tickets::ticket_format_v2) + garbage).has_value();
    opened += tickets::decode_ticket_v2_body(garbage).has_value();
    auto flipped = body;
    flipped[random() % flipped.size()] ^= static_cast<char>(1 << (random() % 8));
    if (auto t = tickets::decode_ticket_v2_body(flipped)) {
      EXPECT_EQ(parse_ticket(serialize_ticket(*t)), t);
    }
    auto corrupt = plaintext;
    corrupt[1 + random() % (corrupt.size() - 1)] ^= static_cast<char>(1 << (random() % 8));
    if (auto t = parse_ticket(corrupt)) {
      EXPECT_EQ(parse_ticket(serialize_ticket(*t)), t);
    }
  }
  EXPECT_EQ(opened, 0) << "random bytes are no ticket";
}

}  // namespace
}  // namespace gatehouse::testing
