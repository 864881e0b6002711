// Parsing one request from bytes, with exactly the limits and framing rules the server applies
// on a socket. Pure (no I/O), so it is what the http_request fuzz target exercises.
#pragma once

#include "http/message.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::http {

struct ParseLimits {
  std::size_t max_header_bytes = 16 * 1024;  // request line + headers
  std::size_t max_body_bytes = 1024 * 1024;
};

// Why a request was refused: the status to answer with (400, 413, 431, 505) and a short
// plain-text reason. The connection is always closed after such an answer.
struct RequestError {
  int status = 400;
  std::string reason;
};

struct ParseOutcome {
  std::optional<Request> request;     // a complete, valid request
  std::optional<RequestError> error;  // a refused request
  std::size_t consumed = 0;           // bytes of `bytes` used by the request
  // Neither set: the bytes end before the request does (more input needed).
};

ParseOutcome parse_request(std::string_view bytes, const ParseLimits& limits);

namespace detail {
// RFC 9112 3.2: whether a Host value is uri-host [":" port] as parse_request accepts it. The
// values real clients send ("app.example.com", "127.0.0.1:8443") are checked by hand; anything
// else goes through the full RFC 3986 grammar (Boost.URL, ~300 ns a call). Both halves are
// exposed so that the http_request fuzz target can hold them to agreeing: whatever the hand
// check accepts, the grammar accepts too.
bool valid_host(std::string_view value);
bool plain_host(std::string_view value);
bool host_by_grammar(std::string_view value);
}  // namespace detail

}  // namespace gatehouse::http
