// JSON log lines: one valid JSON object per line with timestamp, level and message; quotes,
// backslashes, control characters and invalid UTF-8 in messages escaped; a request's fields on
// its line only; the level and format applied from the configuration.
#include "logging/log_format.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <sstream>

namespace gatehouse::logging {
namespace {

// A logger writing into a string through the JSON formatter.
struct Captured {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;
  Captured() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    logger = std::make_shared<spdlog::logger>("test", sink);
    logger->set_formatter(json_formatter());
    logger->set_level(spdlog::level::trace);
  }
  std::vector<boost::json::object> lines() const {
    std::vector<boost::json::object> parsed;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) {
      boost::system::error_code ec;
      auto value = boost::json::parse(line, ec);
      EXPECT_FALSE(ec) << "not JSON: " << line;
      EXPECT_TRUE(value.is_object()) << line;
      if (!ec && value.is_object()) parsed.push_back(value.as_object());
    }
    return parsed;
  }
};

TEST(JsonLog, OneObjectPerLineWithTimestampLevelMessage) {
  Captured c;
  c.logger->info("hello {}", "world");
  c.logger->warn("careful");
  c.logger->error("bad");
  c.logger->trace("fine detail");
  const auto lines = c.lines();
  ASSERT_EQ(lines.size(), 4u) << c.out.str();
  EXPECT_EQ(lines[0].at("message").as_string(), "hello world");
  EXPECT_EQ(lines[0].at("level").as_string(), "info");
  EXPECT_EQ(lines[1].at("level").as_string(), "warn");
  EXPECT_EQ(lines[2].at("level").as_string(), "error");
  EXPECT_EQ(lines[3].at("level").as_string(), "trace");
  const std::string ts(lines[0].at("timestamp").as_string());
  ASSERT_EQ(ts.size(), 24u) << ts;  // 2026-12-01T14:36:41.123Z
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts.back(), 'Z');
  EXPECT_FALSE(lines[0].contains("request_id"));
}

TEST(JsonLog, QuotesBackslashesAndControlCharactersAreEscaped) {
  Captured c;
  const std::string nasty = std::string("a \"quoted\" \\ back\nnew line\r\t tab \x01\x1f\x7f end") +
                            std::string(1, '\0') + "nul";
  c.logger->info("{}", nasty);
  const auto raw = c.out.str();
  EXPECT_EQ(std::count(raw.begin(), raw.end(), '\n'), 1) << "one line: " << raw;
  const auto lines = c.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("message").as_string(), nasty);
}

TEST(JsonLog, Utf8KeptInvalidBytesReplaced) {
  Captured c;
  c.logger->info("{}", "caf\xc3\xa9 \xff\xfe \xe2\x82 \xed\xa0\x80 \xf0\x9f\x98\x80");
  const auto lines = c.lines();
  ASSERT_EQ(lines.size(), 1u) << c.out.str();
  EXPECT_EQ(lines[0].at("message").as_string(),
            "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xf0\x9f\x98\x80");
}

TEST(JsonLog, RequestFieldsOnTheRequestLineOnly) {
  Captured c;
  {
    const RequestFields fields{.request_id = "id-\"1\"",
                               .method = "GET",
                               .path = "/bff/user",
                               .route = "bff",
                               .status = 200,
                               .duration_ms = 1.2345};
    RequestFieldsScope scope(fields);
    c.logger->info("GET /bff/user 200");
  }
  c.logger->info("later");
  const auto lines = c.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("request_id").as_string(), "id-\"1\"");
  EXPECT_EQ(lines[0].at("method").as_string(), "GET");
  EXPECT_EQ(lines[0].at("path").as_string(), "/bff/user");
  EXPECT_EQ(lines[0].at("route").as_string(), "bff");
  EXPECT_EQ(lines[0].at("status").as_int64(), 200);
  EXPECT_NEAR(lines[0].at("duration_ms").to_number<double>(), 1.2345, 0.001);
  EXPECT_FALSE(lines[1].contains("request_id"));
}

TEST(JsonLog, EscapingFunction) {
  std::string out;
  append_json_escaped(out, "\"\\\b\f\n\r\t\x02");
  EXPECT_EQ(out, "\\\"\\\\\\u0008\\u000c\\n\\r\\t\\u0002");
}

TEST(LogConfig, AppliesFormatAndLevel) {
  auto previous = spdlog::default_logger();
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>(
      "default", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  spdlog::set_default_logger(logger);
  apply({.format = config::LogFormat::json, .level = config::LogLevel::warn}, true);
  EXPECT_TRUE(json_lines());
  spdlog::info("not shown");
  spdlog::warn("shown");
  apply({.format = config::LogFormat::automatic, .level = config::LogLevel::info}, true);
  EXPECT_FALSE(json_lines()) << "auto on a terminal: text";
  spdlog::info("as text");
  apply({.format = config::LogFormat::automatic, .level = config::LogLevel::info}, false);
  EXPECT_TRUE(json_lines()) << "auto elsewhere: JSON";
  spdlog::set_default_logger(previous);
  const auto text = out.str();
  EXPECT_EQ(text.find("not shown"), std::string::npos) << text;
  EXPECT_NE(text.find("\"message\":\"shown\""), std::string::npos) << text;
  EXPECT_NE(text.find(" info as text"), std::string::npos) << text;
}

}  // namespace
}  // namespace gatehouse::logging
