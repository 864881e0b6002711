#include "proxy/hop_headers.hpp"

#include "crypto/random.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>

namespace gatehouse::proxy {
namespace {

using http::iequals;

constexpr std::array<std::string_view, 9> kHopByHop{
    "connection", "proxy-connection",   "keep-alive",         "te", "transfer-encoding", "upgrade",
    "trailer",    "proxy-authenticate", "proxy-authorization"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool any_of_names(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::any_of(names.begin(), names.end(),
                     [name](std::string_view n) { return iequals(name, n); });
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::vector<std::string> connection_tokens(const http::Fields& headers) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers) {
    if (!iequals(name, "connection")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const auto token = trim(rest.substr(0, comma));
      if (!token.empty() && out.size() < 64) out.push_back(lower(token));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

bool is_hop_by_hop(std::string_view name, const std::vector<std::string>& listed) {
  const auto l = lower(name);
  return std::find(kHopByHop.begin(), kHopByHop.end(), l) != kHopByHop.end() ||
         std::find(listed.begin(), listed.end(), l) != listed.end();
}

http::Fields upstream_request_headers(const http::Fields& browser,
                                      const RequestHeaderPolicy& policy) {
  const auto listed = connection_tokens(browser);
  http::Fields out;
  out.reserve(browser.size());
  for (const auto& [name, value] : browser) {
    if (is_hop_by_hop(name, listed)) continue;
    if (any_of_names(name, {"host", "content-length", "expect", "cookie", "x-csrf", "authorization",
                            "dpop", "forwarded", "x-forwarded-for", "x-forwarded-proto",
                            "x-forwarded-host", "traceparent", "tracestate"}))
      continue;
    out.emplace_back(name, value);
  }
  if (policy.websocket) {
    out.emplace_back("Connection", "Upgrade");
    out.emplace_back("Upgrade", "websocket");
  }
  return out;
}

ResponseHeaders browser_response_headers(const http::Fields& upstream, int status) {
  const auto listed = connection_tokens(upstream);
  ResponseHeaders out;
  out.headers.reserve(upstream.size());
  for (const auto& [name, value] : upstream) {
    if (iequals(name, "set-cookie") || iequals(name, "set-cookie2")) {
      ++out.dropped_cookies;
      continue;
    }
    if (status == 101 && iequals(name, "upgrade")) {
      out.headers.emplace_back(name, value);
      continue;
    }
    if (is_hop_by_hop(name, listed)) continue;
    if (any_of_names(name, {"content-length", "date"})) continue;
    out.headers.emplace_back(name, value);
  }
  if (status == 101) out.headers.emplace_back("Connection", "Upgrade");
  return out;
}

// 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>, ids not all zero (W3C Trace Context).
bool is_valid_traceparent(std::string_view v) {
  if (v.size() != 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  const auto version = v.substr(0, 2), trace = v.substr(3, 32), parent = v.substr(36, 16),
             flags = v.substr(53, 2);
  if (version != "00" || !is_hex(trace) || !is_hex(parent) || !is_hex(flags)) return false;
  return trace != std::string(32, '0') && parent != std::string(16, '0');
}

std::string new_traceparent() {
  static constexpr char digits[] = "0123456789abcdef";
  // Trace ids need to be unique, not secret: a generator per thread, seeded from the system's
  // random source once (OpenSSL's RAND_bytes costs a getpid() per call).
  thread_local std::mt19937_64 random = [] {
    const auto seed = crypto::random_bytes(32);
    std::seed_seq sequence(seed.begin(), seed.end());
    return std::mt19937_64(sequence);
  }();
  std::string bytes(24, '\0');
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const auto word = random();
    for (std::size_t j = 0; j < 8; ++j) bytes[i + j] = static_cast<char>(word >> (8 * j));
  }
  std::string hex;
  hex.reserve(48);
  for (unsigned char b : bytes) {
    hex.push_back(digits[b >> 4]);
    hex.push_back(digits[b & 15]);
  }
  return "00-" + hex.substr(0, 32) + "-" + hex.substr(32, 16) + "-00";
}

}  // namespace gatehouse::proxy
