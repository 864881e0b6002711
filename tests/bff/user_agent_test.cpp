// User-Agent summaries of real browsers, tools and crawlers, and of hostile input.
#include "bff/user_agent.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using gatehouse::bff::kUserAgentInputLimit;
using gatehouse::bff::kUserAgentSummaryLimit;
using gatehouse::bff::summarize_user_agent;

TEST(UserAgent, DesktopBrowsers) {
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
                                 "Gecko) Chrome/120.0.0.0 Safari/537.36"),
            "Chrome 120 on Linux");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
                                 "Gecko) Ubuntu Chromium/120.0.6099.71 Chrome/120.0.6099.71 "
                                 "Safari/537.36"),
            "Chromium 120 on Linux");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
                                 "Gecko) HeadlessChrome/120.0.6099.224 Safari/537.36"),
            "Headless Chrome 120 on Linux");
  EXPECT_EQ(summarize_user_agent(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"),
            "Firefox 121 on Windows");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
                                 "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
                                 "Safari/605.1.15"),
            "Safari 17 on macOS");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                                 "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 "
                                 "Edg/120.0.2210.91"),
            "Edge 120 on Windows");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                                 "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 "
                                 "OPR/106.0.0.0"),
            "Opera 106 on Windows");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 "
                                 "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
            "Chrome 120 on ChromeOS");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko"),
            "Internet Explorer 11 on Windows");
}

TEST(UserAgent, MobileBrowsers) {
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
                                 "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
                                 "Mobile/15E148 Safari/604.1"),
            "Mobile Safari 17 on iOS");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
                                 "AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 "
                                 "Mobile/15E148 Safari/604.1"),
            "Chrome 120 on iOS");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
                                 "AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/121.0 "
                                 "Mobile/15E148 Safari/605.1.15"),
            "Firefox 121 on iOS");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, "
                                 "like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"),
            "Chrome 120 on Android");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 "
                                 "(KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile "
                                 "Safari/537.36"),
            "Samsung Internet 23 on Android");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 "
                                 "Firefox/121.0"),
            "Firefox 121 on Android");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (Linux; Android 10; HD1913) AppleWebKit/537.36 "
                                 "(KHTML, like Gecko) Chrome/120.0.6099.116 Mobile Safari/537.36 "
                                 "EdgA/120.0.2210.115"),
            "Edge 120 on Android");
  // A phone model with "bot" in its name is still a phone.
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 "
                                 "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"),
            "Chrome 120 on Android");
}

TEST(UserAgent, ToolsAndCrawlers) {
  EXPECT_EQ(summarize_user_agent("curl/8.5.0"), "curl 8");
  EXPECT_EQ(summarize_user_agent("curl/7.88.1"), "curl 7");
  EXPECT_EQ(summarize_user_agent("Wget/1.21.3"), "Wget 1");
  EXPECT_EQ(summarize_user_agent("python-requests/2.31.0"), "python-requests 2");
  EXPECT_EQ(summarize_user_agent("Go-http-client/1.1"), "Go-http-client 1");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (compatible; Googlebot/2.1; "
                                 "+http://www.google.com/bot.html)"),
            "Googlebot 2");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; "
                                 "Googlebot/2.1; +http://www.google.com/bot.html) "
                                 "Chrome/120.0.6099.216 Safari/537.36"),
            "Googlebot 2");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (compatible; bingbot/2.0; "
                                 "+http://www.bing.com/bingbot.htm)"),
            "bingbot 2");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (compatible; AhrefsBot/7.0; "
                                 "+http://ahrefs.com/robot/)"),
            "AhrefsBot 7");
}

TEST(UserAgent, UnknownAndGarbage) {
  EXPECT_EQ(summarize_user_agent(""), "Unknown browser");
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0"), "Unknown browser");
  EXPECT_EQ(summarize_user_agent("my-own-client"), "Unknown browser");
  EXPECT_EQ(summarize_user_agent("curl"), "Unknown browser");
  EXPECT_EQ(summarize_user_agent(std::string("\0\xff\x01\r\n", 5)), "Unknown browser");
  // A version is only its leading digits, and only a few of them.
  EXPECT_EQ(summarize_user_agent("curl/99999999999999"), "curl 99999");
  EXPECT_EQ(summarize_user_agent("curl/\r\nSet-Cookie: x"), "curl");
  // Tokens inside other words do not count: "xFirefox/1" is not Firefox.
  EXPECT_EQ(summarize_user_agent("Mozilla/5.0 (Windows NT 10.0) xFirefox/121.0"),
            "Unknown browser");
}

TEST(UserAgent, OutputIsBoundedPrintableAsciiAndOnlyTheStartIsRead) {
  const std::string huge_crawler =
      "Mozilla/5.0 (compatible; " + std::string(29, 'A') + "bot/1.0; Windows Phone)";
  const auto crawler = summarize_user_agent(huge_crawler);
  EXPECT_LE(crawler.size(), kUserAgentSummaryLimit);
  EXPECT_EQ(crawler, std::string(29, 'A') + "bot 1");

  const std::string firefox =
      "Mozilla/5.0 (Windows NT 10.0; rv:121.0) Gecko/20100101 Firefox/121.0";
  // Past the input limit nothing counts, not even a browser token.
  EXPECT_EQ(summarize_user_agent(std::string(kUserAgentInputLimit, ' ') + firefox),
            "Unknown browser");
  EXPECT_EQ(summarize_user_agent(firefox + std::string(100'000, 'x')), "Firefox 121 on Windows");

  std::string noise;
  for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>((i * 7919) % 256));
  for (std::size_t n = 0; n < noise.size(); n += 97) {
    const auto s = summarize_user_agent(std::string_view(noise).substr(n));
    ASSERT_FALSE(s.empty());
    ASSERT_LE(s.size(), kUserAgentSummaryLimit);
    for (const char c : s) ASSERT_TRUE(c >= 0x20 && c <= 0x7e) << n;
  }
}

}  // namespace
