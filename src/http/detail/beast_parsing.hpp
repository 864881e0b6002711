// Internal (Beast inside): the one place that configures a request parser and checks a parsed
// head, shared by the server's socket loop and the pure parse_request().
#pragma once

#include "http/request_parsing.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

#include <optional>

namespace gatehouse::http::detail {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;
using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

// A new parser for every message (parsers carry state that must not leak between requests).
void configure(RequestParser& parser, const ParseLimits& limits);

// One step of reading a head; see feed_head.
struct HeadStep {
  std::size_t consumed = 0;           // bytes the parser took: drop them from the buffer
  std::optional<RequestError> error;  // answer it and close
  bool done = false;                  // the head is complete and passed check_head
};

// Offers `bytes` (all that is buffered and not yet consumed) to a parser whose head is not
// complete; `consumed_before` is what earlier steps of this head consumed. Call again with more
// bytes until done or error. Beast sees the raw head only here, so the checks on raw bytes
// (obs-fold) live here too: the socket loop and parse_request() must both go through it.
HeadStep feed_head(RequestParser& parser, std::string_view bytes, std::size_t consumed_before,
                   const ParseLimits& limits);

// Framing, Host and target rules Beast 1.81 does not enforce by itself; checked once the head
// is in (feed_head calls it).
std::optional<RequestError> check_head(const BeastRequest& head);

// The answer to a Beast read error; nullopt when the peer just went away (close silently).
std::optional<RequestError> error_for(const boost::system::error_code& ec);

// The checked message as our value type (check_head must have passed). An absolute-form target
// is reduced to origin form, and its authority becomes the Host header (RFC 9112 3.2.2).
Request to_request(BeastRequest&& message, std::string remote_address);
// The same without the body (none may have been read yet).
Request to_request_head(const BeastRequest& message, std::string remote_address);

}  // namespace gatehouse::http::detail
