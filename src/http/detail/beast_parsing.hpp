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

// Framing and target rules Beast 1.81 does not enforce by itself; checked once the head is in.
std::optional<RequestError> check_head(const BeastRequest& head);

// The answer to a Beast read error; nullopt when the peer just went away (close silently).
std::optional<RequestError> error_for(const boost::system::error_code& ec);

// The checked message as our value type (check_head must have passed).
Request to_request(BeastRequest&& message, std::string remote_address);

}  // namespace gatehouse::http::detail
