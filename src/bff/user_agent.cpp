// User-Agent summaries. Every byte of the output comes from a fixed name below, from ASCII
// digits, or (for crawlers and command-line clients) from a product token filtered to
// [A-Za-z0-9._-] and cut short, so hostile headers can neither inject nor inflate anything.
#include "bff/user_agent.hpp"

#include <array>
#include <cctype>
#include <optional>

namespace gatehouse::bff {
namespace {

constexpr std::string_view unknown = "Unknown browser";
constexpr std::size_t max_version_digits = 5;
constexpr std::size_t max_token_name = 32;

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '.' || c == '_' || c == '-';
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool contains_nocase(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t j = 0;
    while (j < needle.size() && lower(hay[i + j]) == lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

// The leading digits of `s` (a major version), at most a few; empty when none.
std::string_view major_of(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && n < max_version_digits && std::isdigit(static_cast<unsigned char>(s[n])))
    ++n;
  return s.substr(0, n);
}

// The version after "<name>/" where the name starts a product token (at the start, or after a
// space, '(' or ';'), so "Edg/" never matches inside "xEdg/". nullopt when absent.
std::optional<std::string_view> product(std::string_view ua, std::string_view name) {
  for (std::size_t at = ua.find(name); at != std::string_view::npos; at = ua.find(name, at + 1)) {
    const bool boundary = at == 0 || ua[at - 1] == ' ' || ua[at - 1] == '(' || ua[at - 1] == ';';
    const auto end = at + name.size();
    if (boundary && end < ua.size() && ua[end] == '/') return major_of(ua.substr(end + 1));
  }
  return std::nullopt;
}

// "<name> <major>", or "<name>" without a version.
std::string versioned(std::string_view name, std::string_view major) {
  std::string out(name);
  if (!major.empty()) {
    out += ' ';
    out += major;
  }
  return out;
}

// A crawler's own product token ("Googlebot/2.1", "bingbot/2.0", "AhrefsBot/7.0") as
// "<name> <major>": a name/version token whose name says bot, crawler or spider. Only tokens
// with a version count, so a phone model such as "CUBOT X19" is not taken for one.
std::optional<std::string> crawler_of(std::string_view ua) {
  std::size_t begin = 0;
  while (begin < ua.size()) {
    while (begin < ua.size() && !is_token_char(ua[begin])) ++begin;
    std::size_t end = begin;
    while (end < ua.size() && is_token_char(ua[end])) ++end;
    const auto name = ua.substr(begin, end - begin);
    if (end < ua.size() && ua[end] == '/' && !name.empty() && name.size() <= max_token_name)
      for (const auto word : {"bot", "crawler", "spider"})
        if (contains_nocase(name, word)) return versioned(name, major_of(ua.substr(end + 1)));
    begin = end;
  }
  return std::nullopt;
}

std::string_view platform_of(std::string_view ua) {
  constexpr std::array<std::pair<std::string_view, std::string_view>, 12> platforms{{
      {"Windows Phone", "Windows Phone"},
      {"iPhone", "iOS"},
      {"iPad", "iOS"},
      {"iPod", "iOS"},
      {"Android", "Android"},
      {"CrOS", "ChromeOS"},
      {"Windows", "Windows"},
      {"Macintosh", "macOS"},
      {"Mac OS X", "macOS"},
      {"FreeBSD", "FreeBSD"},
      {"OpenBSD", "OpenBSD"},
      {"Linux", "Linux"},
  }};
  for (const auto& [needle, name] : platforms)
    if (ua.find(needle) != std::string_view::npos) return name;
  if (ua.find("X11") != std::string_view::npos) return "Linux";
  return {};
}

// Browsers by the token that identifies them, most specific first: Edge, Opera and Samsung
// Internet also carry "Chrome/", Chrome also carries "Safari/".
std::optional<std::string> browser_of(std::string_view ua, std::string_view platform) {
  constexpr std::array<std::pair<std::string_view, std::string_view>, 16> tokens{{
      {"Edg", "Edge"},
      {"EdgA", "Edge"},
      {"EdgiOS", "Edge"},
      {"Edge", "Edge"},
      {"OPR", "Opera"},
      {"OPiOS", "Opera"},
      {"SamsungBrowser", "Samsung Internet"},
      {"YaBrowser", "Yandex Browser"},
      {"Vivaldi", "Vivaldi"},
      {"FxiOS", "Firefox"},
      {"Firefox", "Firefox"},
      {"CriOS", "Chrome"},
      {"HeadlessChrome", "Headless Chrome"},
      {"Chromium", "Chromium"},
      {"Chrome", "Chrome"},
      {"MSIE", "Internet Explorer"},
  }};
  for (const auto& [token, name] : tokens) {
    if (token == "MSIE") {
      // "MSIE 10.0;" has a space, not a slash.
      if (const auto at = ua.find("MSIE "); at != std::string_view::npos)
        return versioned(name, major_of(ua.substr(at + 5)));
      continue;
    }
    if (auto major = product(ua, token)) return versioned(name, *major);
  }
  if (ua.find("Trident/") != std::string_view::npos) {
    const auto rv = ua.find("rv:");
    return versioned("Internet Explorer", rv == std::string_view::npos
                                              ? std::string_view{}
                                              : major_of(ua.substr(rv + 3)));
  }
  if (product(ua, "Safari") || product(ua, "AppleWebKit")) {
    const auto version = product(ua, "Version").value_or(std::string_view{});
    if (platform == "iOS")
      return versioned(product(ua, "Mobile") ? "Mobile Safari" : "Safari", version);
    if (platform == "macOS") return versioned("Safari", version);
    if (platform == "Android") return versioned("Android Browser", version);
  }
  return std::nullopt;
}

// Clients that are not browsers, named by their leading product token.
std::optional<std::string> tool_of(std::string_view ua) {
  constexpr std::array<std::string_view, 10> tools{
      "curl",   "Wget",           "HTTPie", "python-requests", "Go-http-client",
      "okhttp", "PostmanRuntime", "axios",  "node-fetch",      "libwww-perl"};
  for (const auto name : tools)
    if (ua.starts_with(name) && ua.size() > name.size() && ua[name.size()] == '/')
      return versioned(name, major_of(ua.substr(name.size() + 1)));
  return std::nullopt;
}

}  // namespace

std::string summarize_user_agent(std::string_view user_agent) {
  const auto ua = user_agent.substr(0, kUserAgentInputLimit);
  // Crawlers often claim to be a browser too ("...Chrome/120... Googlebot/2.1"): they come
  // before browsers, named by their own token.
  std::optional<std::string> summary = tool_of(ua);
  if (!summary) summary = crawler_of(ua);
  if (!summary) {
    const auto platform = platform_of(ua);
    if (auto browser = browser_of(ua, platform)) {
      summary = std::move(browser);
      if (!platform.empty()) {
        *summary += " on ";
        *summary += platform;
      }
    }
  }
  if (!summary || summary->empty()) return std::string(unknown);
  if (summary->size() > kUserAgentSummaryLimit) summary->resize(kUserAgentSummaryLimit);
  return std::move(*summary);
}

}  // namespace gatehouse::bff
