#include "crypto/base64.hpp"

#include "crypto/base64_check.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/random.hpp"

namespace gatehouse::crypto {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    std::string url = encoded;
    while (!url.empty() && url.back() == '=') url.pop_back();
    EXPECT_EQ(base64url_encode(plain), url);
    EXPECT_EQ(base64url_decode(url), std::string(plain));
  }
}

TEST(Base64, UrlAlphabetDiffersFromStandard) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64_encode(bytes), "+/+/");
  EXPECT_EQ(base64url_encode(bytes), "-_-_");
  EXPECT_EQ(base64url_decode("-_-_"), bytes);
}

TEST(Base64, UrlDecodeIsStrict) {
  EXPECT_FALSE(base64url_decode("Zg=="));   // padding
  EXPECT_FALSE(base64url_decode("Zm8="));   // padding
  EXPECT_FALSE(base64url_decode("+/+/"));   // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm 9v"));  // whitespace
  EXPECT_FALSE(base64url_decode("Zm9v\n"));
  EXPECT_FALSE(base64url_decode("Zm9vY"));  // length 4k+1
  EXPECT_FALSE(base64url_decode("Zh"));     // "f" with non-zero trailing bits
  EXPECT_FALSE(base64url_decode("Zm9"));    // "fo" with non-zero trailing bits
  EXPECT_FALSE(base64url_decode(std::string("Zm\0v", 4)));
  EXPECT_FALSE(base64url_decode("Zm9v\xc3\xa9"));
  EXPECT_TRUE(base64url_decode("Zg"));
  EXPECT_TRUE(base64url_decode("Zm8"));
}

// The check without decoding agrees with the decoder on everything above and on every string of
// up to three characters over a small alphabet that mixes valid, invalid and padding characters.
TEST(Base64, DecodedSizeAcceptsExactlyWhatTheDecoderAccepts) {
  std::vector<std::string> inputs = {"",   "Zg==", "Zm8=", "+/+/", "Zm 9v", "Zm9v\n",  "Zm9vY",
                                     "Zh", "Zm9",  "Zg",   "Zm8",  "-_-_",  "Zm9vYmFy"};
  inputs.emplace_back("Zm\0v", 4);
  const std::string alphabet = "AZaz09-_QRgh=+/ \xc3";
  for (const char a : alphabet) {
    inputs.emplace_back(1, a);
    for (const char b : alphabet) {
      inputs.push_back(std::string{a, b});
      for (const char c : alphabet) inputs.push_back(std::string{a, b, c});
    }
  }
  for (std::size_t n = 0; n < 70; ++n) inputs.push_back(base64url_encode(random_bytes(n)));
  for (const auto& input : inputs) {
    const auto decoded = base64url_decode(input);
    const auto size = base64url_decoded_size(input);
    ASSERT_EQ(size.has_value(), decoded.has_value()) << input;
    if (size) {
      EXPECT_EQ(*size, decoded->size()) << input;
    }
  }
}

TEST(Base64, RandomRoundTrips) {
  for (std::size_t n = 0; n < 70; ++n) {
    const std::string bytes = random_bytes(n);
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
  }
}

TEST(Random, TokensAreUniqueAndSized) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(33).size(), 33u);
  const std::string a = random_token(32);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, random_token(32));
  EXPECT_TRUE(base64url_decode(a));
}

}  // namespace
}  // namespace gatehouse::crypto
