// The bounded JSON parser every JOSE input (and the provider's other documents) goes through:
// duplicate member names at any depth, size and depth bounds, trailing data.
#include "jose/bounded_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "jose/jws.hpp"
#include "test_keys.hpp"

namespace gatehouse::jose {
namespace {

using testing::join_token;
using testing::sign_jwt;
using testing::test_keys;

boost::system::error_code error_of(std::string_view json) {
  auto r = parse_json_object(json, 4096);
  return r ? boost::system::error_code() : r.error();
}

TEST(BoundedJson, DuplicateNamesAreMalformedAtEveryDepth) {
  const char* cases[] = {
      R"({"sub":"alice","sub":"mallory"})",
      R"({"sub":"alice","aud":"x","sub":"alice"})",  // equal values are no excuse
      R"({"a":{"x":1,"x":2}})",
      R"({"a":[{"x":1},{"y":1,"y":2}]})",
      R"({"a":[[[{"b":{"c":{"d":1,"d":1}}}]]]})",
      R"({"sub":"alice","s\u0075b":"mallory"})",  // the same name once unescaped
      R"({"\u0073\u0075\u0062":1,"sub":2})",
      R"({"":1,"":2})",
      R"({"a\u0000":1,"a\u0000":2})",
  };
  for (const char* json : cases) EXPECT_EQ(error_of(json), JoseErrc::malformed) << json;
}

TEST(BoundedJson, DistinctNamesAndRepeatsInOtherObjectsAreFine) {
  const char* cases[] = {
      R"({"a":{"x":1},"b":{"x":2}})",   // siblings each have their own names
      R"({"x":{"x":{"x":1}}})",         // a name again one level down
      R"({"a":[{"x":1},{"x":2}]})",     // array elements are separate objects
      R"({"sub":1,"Sub":2,"sub ":3})",  // names compare exactly
      R"({"a\u0000":1,"a":2})",
      R"({"k":"sub","sub":"k"})",  // a value equal to a name
  };
  for (const char* json : cases) {
    auto r = parse_json_object(json, 4096);
    EXPECT_TRUE(r) << json;
  }
  auto r = parse_json_object(R"({"a":{"x":1},"b":[{"x":2}],"x":3})", 4096);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("b").as_array()[0].as_object().at("x"), 2);
  EXPECT_EQ(r->at("x"), 3);
}

TEST(BoundedJson, BoundsAndShape) {
  EXPECT_EQ(parse_json_object(R"({"a":1})", 6).error(), JoseErrc::too_large);
  EXPECT_TRUE(parse_json_object(R"({"a":1})", 7));
  const std::string deep = R"({"a":)" + std::string(20, '[') + std::string(20, ']') + "}";
  EXPECT_EQ(error_of(deep), JoseErrc::too_large);
  for (const char* json : {"", " ", "[]", "1", "\"s\"", "null", R"({"a":1} {})", R"({"a":1}x)",
                           R"({"a":1)", R"({"a" 1})", "{\"a\":\"\xff\"}"})
    EXPECT_EQ(error_of(json), JoseErrc::malformed) << json;
  EXPECT_TRUE(parse_json_object(" {\"a\":1}\n ", 4096));  // surrounding whitespace is JSON
}

TEST(BoundedJson, NumbersBeyondADoubleAreMalformed) {
  for (const char* json :
       {R"({"n":1e999})", R"({"n":-1e999})", R"({"n":0e999})", R"({"a":[1,{"b":[2e400]}]})"})
    EXPECT_EQ(error_of(json), JoseErrc::malformed) << json;
  auto tiny = parse_json_object(R"({"n":1e-999,"big":123456789012345678901234567890})", 4096);
  ASSERT_TRUE(tiny);
  EXPECT_EQ(boost::json::serialize(*tiny), R"({"n":0E0,"big":1.2345678901234568E29})");
}

TEST(BoundedJson, ValuesSurviveTheParse) {
  auto r = parse_json_object(
      R"({"s":"t\u00e9","i":-5,"u":18446744073709551615,"d":1.5,"b":true,"n":null,"a":[1,{}]})",
      4096);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("s"), "t\xC3\xA9");
  EXPECT_EQ(r->at("i"), -5);
  EXPECT_TRUE(r->at("u").is_uint64());
  EXPECT_EQ(r->at("d"), 1.5);
  EXPECT_EQ(r->at("b"), true);
  EXPECT_TRUE(r->at("n").is_null());
  EXPECT_EQ(r->at("a").as_array().size(), 2u);
}

TEST(BoundedJson, TokensWithDuplicateMembersAreRefused) {
  // Validly signed, so only the duplicate can be the reason.
  const auto& k = test_keys();
  const std::string good = sign_jwt({}, {{"sub", "alice"}}, k.rsa.get(), "RS256", "rsa-1");
  ASSERT_TRUE(parse_jws(good));
  const std::string payload = R"({"sub":"alice","iss":"x","sub":"mallory"})";
  EXPECT_EQ(parse_jws(join_token(R"({"alg":"RS256","kid":"rsa-1"})", payload, "sig")).error(),
            JoseErrc::malformed);
  EXPECT_EQ(
      parse_jws(join_token(R"({"alg":"RS256","alg":"none","kid":"rsa-1"})", "{}", "sig")).error(),
      JoseErrc::malformed);
  EXPECT_EQ(parse_jws(join_token(R"({"alg":"RS256","kid":"a","kid":"b"})", "{}", "sig")).error(),
            JoseErrc::malformed);
  EXPECT_EQ(parse_jws(join_token(R"({"alg":"RS256"})", R"({"cnf":{"jkt":"a","jkt":"b"}})", "sig"))
                .error(),
            JoseErrc::malformed);
}

}  // namespace
}  // namespace gatehouse::jose
