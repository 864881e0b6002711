// HTTP request and response as plain values: what handlers see and return. Beast stays out of
// this header so every area can include it cheaply; the server converts at the edge.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::http {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;     // as sent, e.g. "GET"
  std::string target;     // request-target in origin form as sent, e.g. "/a%20b?x=1" (an
                          // absolute-form target is reduced to its path and query)
  std::string path;       // percent-decoded path, no query; never contains NUL
  std::string query;      // raw (still encoded) query, without '?'
  unsigned version = 11;  // 10 or 11
  Fields headers;         // in arrival order, names as sent
  std::string body;
  std::string remote_address;  // peer IP address
  // Set by the server when the peer is a trusted proxy ([server] trusted_proxies) and
  // X-Forwarded-For names someone else (http/trusted_proxies.hpp); else empty.
  std::string forwarded_client;
  bool keep_alive = true;
  // Set by the server: the request's X-Request-Id when sane (1 to 128 visible ASCII
  // characters), else a fresh random one. Echoed in the response's X-Request-Id.
  std::string request_id;

  // Who sent the request: the forwarded client behind trusted proxies, else the peer. What
  // sessions and audit events record.
  std::string_view client_address() const {
    return forwarded_client.empty() ? std::string_view(remote_address) : forwarded_client;
  }

  // The first header with this name (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
  // How often the header appears: callers that need exactly one value check this is 1.
  std::size_t header_count(std::string_view name) const;

  // The first query parameter with this name, percent-decoded ('+' is a space); nullopt when
  // absent or when the query is not valid form encoding.
  std::optional<std::string> query_param(std::string_view name) const;
  // How often the parameter appears (0 when the query is malformed): reject duplicates of
  // security-relevant parameters such as `state` and `code`.
  std::size_t query_param_count(std::string_view name) const;

  // Every name=value pair of every Cookie header, in order; values are not decoded.
  Fields cookies() const;
};

struct Response {
  int status = 200;
  Fields headers;  // Content-Length, Transfer-Encoding and Connection are set by the server
  std::string body;
  std::optional<std::filesystem::path> file;  // when set, streamed from disk instead of body
  // When set (and `file` is not), sent instead of body: immutable bytes shared with a cache, so
  // a thousand slow readers of one file hold one copy, not a thousand.
  std::shared_ptr<const std::string> shared_body;

  // Replaces any header of this name (case-insensitive).
  void set_header(std::string_view name, std::string value);
  std::optional<std::string_view> header(std::string_view name) const;
};

Response text(int status, std::string body);  // text/plain; charset=utf-8
Response json(int status, std::string body);  // application/json
Response redirect(int status, std::string location);

// application/x-www-form-urlencoded, strictly: at most `max_fields` pairs, every percent
// escape valid, no NUL after decoding. nullopt on any violation.
inline constexpr std::size_t kMaxFormFields = 256;
std::optional<Fields> parse_form(std::string_view body, std::size_t max_fields = kMaxFormFields);

// Percent-decodes `in` ('+' stays '+' unless plus_is_space); nullopt on a bad escape or NUL.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space = false);

bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace gatehouse::http
