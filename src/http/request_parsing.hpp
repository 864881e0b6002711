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

}  // namespace gatehouse::http
