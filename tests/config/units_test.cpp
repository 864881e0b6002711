#include "config/units.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace gatehouse::config {
namespace {

using namespace std::chrono_literals;

std::chrono::milliseconds duration(std::string_view text) {
  auto r = parse_duration(text);
  EXPECT_TRUE(r) << text << ": " << r.error;
  return r.value.value_or(-1ms);
}

std::string duration_error(std::string_view text) {
  auto r = parse_duration(text);
  EXPECT_FALSE(r) << text << " parsed as " << r.value.value_or(0ms).count() << "ms";
  return r.error;
}

TEST(ParseDuration, SingleUnits) {
  EXPECT_EQ(duration("500ms"), 500ms);
  EXPECT_EQ(duration("30s"), 30s);
  EXPECT_EQ(duration("30m"), 30min);
  EXPECT_EQ(duration("8h"), 8h);
  EXPECT_EQ(duration("1d"), 24h);
  EXPECT_EQ(duration("0s"), 0ms);
  EXPECT_EQ(duration("0ms"), 0ms);
}

TEST(ParseDuration, CombinedUnitsLargestFirst) {
  EXPECT_EQ(duration("1h30m"), 90min);
  EXPECT_EQ(duration("1d2h3m4s5ms"), 24h + 2h + 3min + 4s + 5ms);
  EXPECT_EQ(duration("90m"), 90min);  // a unit may exceed the next one up
}

TEST(ParseDuration, RejectsBadInput) {
  EXPECT_NE(duration_error("").find("empty"), std::string::npos);
  EXPECT_NE(duration_error("-5s").find("negative"), std::string::npos);
  EXPECT_NE(duration_error("30").find("needs a unit"), std::string::npos);
  EXPECT_NE(duration_error("5y").find("unknown unit \"y\""), std::string::npos);
  EXPECT_NE(duration_error("5 s").find("not a duration"), std::string::npos);
  EXPECT_NE(duration_error("1.5h").find("whole numbers"), std::string::npos);
  EXPECT_NE(duration_error("30m1h").find("largest to smallest"), std::string::npos);
  EXPECT_NE(duration_error("1h1h").find("largest to smallest"), std::string::npos);
  EXPECT_NE(duration_error("s").find("not a duration"), std::string::npos);
  EXPECT_NE(duration_error("1h ").find("not a duration"), std::string::npos);
  EXPECT_NE(duration_error("+1h").find("not a duration"), std::string::npos);
  EXPECT_NE(duration_error("1S").find("unknown unit"), std::string::npos);
}

TEST(ParseDuration, RejectsOverflow) {
  // The largest representable value still parses; one more millisecond does not.
  const auto max = std::numeric_limits<std::chrono::milliseconds::rep>::max();
  EXPECT_EQ(duration(std::to_string(max) + "ms").count(), max);
  EXPECT_NE(duration_error(std::to_string(max) + "s").find("too large"), std::string::npos);
  EXPECT_NE(duration_error("99999999999999999999999ms").find("too large"), std::string::npos);
  EXPECT_EQ(duration("106751991167d7h12m55s807ms").count(), max);
  EXPECT_NE(duration_error("106751991167d7h12m55s808ms").find("too large"), std::string::npos);
  EXPECT_NE(duration_error("106751991168d").find("too large"), std::string::npos);
}

TEST(ParseDuration, ErrorsQuoteAndTruncateTheInput) {
  const std::string long_input(500, 'x');
  const auto error = duration_error(long_input);
  EXPECT_LT(error.size(), 200u);
  EXPECT_NE(duration_error("a\x01").find("\\u0001"), std::string::npos);
}

TEST(FormatDuration, RoundTrips) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(24h), "1d");
  EXPECT_EQ(format_duration(1500ms), "1s500ms");
  const std::chrono::milliseconds samples[] = {1ms, 59s, 61min, 8h, 25h + 1ms};
  for (auto d : samples) EXPECT_EQ(parse_duration(format_duration(d)).value, d);
}

std::uint64_t size(std::string_view text) {
  auto r = parse_size(text);
  EXPECT_TRUE(r) << text << ": " << r.error;
  return r.value.value_or(0);
}

std::string size_error(std::string_view text) {
  auto r = parse_size(text);
  EXPECT_FALSE(r) << text;
  return r.error;
}

TEST(ParseSize, Units) {
  EXPECT_EQ(size("512"), 512u);
  EXPECT_EQ(size("512B"), 512u);
  EXPECT_EQ(size("64KiB"), 64u * 1024);
  EXPECT_EQ(size("1MiB"), 1024u * 1024);
  EXPECT_EQ(size("2GiB"), 2ull << 30);
  EXPECT_EQ(size("64KB"), 64'000u);
  EXPECT_EQ(size("1MB"), 1'000'000u);
  EXPECT_EQ(size("1GB"), 1'000'000'000u);
  EXPECT_EQ(size("0"), 0u);
}

TEST(ParseSize, RejectsBadInput) {
  EXPECT_NE(size_error("").find("empty"), std::string::npos);
  EXPECT_NE(size_error("-1").find("negative"), std::string::npos);
  EXPECT_NE(size_error("1.5MiB").find("whole number"), std::string::npos);
  EXPECT_NE(size_error("1mib").find("unknown unit"), std::string::npos);
  EXPECT_NE(size_error("1 MiB").find("unknown unit"), std::string::npos);
  EXPECT_NE(size_error("MiB").find("not a size"), std::string::npos);
  EXPECT_NE(size_error("1TiB").find("unknown unit"), std::string::npos);
}

TEST(ParseSize, RejectsOverflow) {
  EXPECT_EQ(size("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_NE(size_error("18446744073709551616").find("too large"), std::string::npos);
  EXPECT_NE(size_error("17179869184GiB").find("too large"), std::string::npos);
}

TEST(FormatSize, PicksTheLargestExactBinaryUnit) {
  EXPECT_EQ(format_size(0), "0");
  EXPECT_EQ(format_size(512), "512");
  EXPECT_EQ(format_size(1536), "1536");
  EXPECT_EQ(format_size(64 * 1024), "64KiB");
  EXPECT_EQ(format_size(1024 * 1024), "1MiB");
  EXPECT_EQ(format_size(3ull << 30), "3GiB");
  EXPECT_EQ(format_size(1'000'000), "1000000");
}

}  // namespace
}  // namespace gatehouse::config
