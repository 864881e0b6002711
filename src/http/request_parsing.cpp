#include "http/detail/beast_parsing.hpp"

#include <boost/beast/http/error.hpp>

#include <algorithm>

namespace gatehouse::http {
namespace detail {
namespace bhttp = boost::beast::http;

namespace {

RequestError bad(std::string reason) {
  return {400, std::move(reason)};
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 18 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::size_t count(const BeastRequest& head, bhttp::field f) {
  const auto range = head.equal_range(f);
  return static_cast<std::size_t>(std::distance(range.first, range.second));
}

}  // namespace

void configure(RequestParser& parser, const ParseLimits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser.body_limit(limits.max_body_bytes);
}

std::optional<RequestError> check_head(const BeastRequest& head) {
  if (head.version() != 10 && head.version() != 11)
    return RequestError{505, "HTTP version not supported"};

  // Request smuggling defences: one unambiguous way to find the end of the body.
  const auto te = count(head, bhttp::field::transfer_encoding);
  const auto cl = count(head, bhttp::field::content_length);
  if (te > 0) {
    if (head.version() == 10) return bad("Transfer-Encoding on HTTP/1.0");
    if (te != 1 || !iequals(head[bhttp::field::transfer_encoding], "chunked"))
      return bad("unsupported Transfer-Encoding");
    if (cl > 0) return bad("Transfer-Encoding with Content-Length");
  }
  if (cl > 1) return bad("duplicate Content-Length");
  if (cl == 1 && !all_digits(head[bhttp::field::content_length]))
    return bad("invalid Content-Length");

  const auto hosts = count(head, bhttp::field::host);
  if (hosts > 1 || (head.version() == 11 && hosts == 0)) return bad("missing or duplicate Host");

  // Origin-form only: we are not a forward proxy, and "*" (OPTIONS) has no use here.
  const std::string_view target = head.target();
  if (target.empty() || target.front() != '/') return bad("request target not in origin form");
  if (target.find('#') != std::string_view::npos) return bad("fragment in request target");
  if (!percent_decode(target.substr(0, target.find('?')))) return bad("invalid request path");
  return std::nullopt;
}

std::optional<RequestError> error_for(const boost::system::error_code& ec) {
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return std::nullopt;
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
    return RequestError{431, "request header too large"};
  if (ec == bhttp::error::body_limit) return RequestError{413, "request body too large"};
  if (ec.category() != bhttp::make_error_code(bhttp::error::bad_target).category())
    return std::nullopt;  // socket errors, timeouts, cancellation: nobody to answer
  return bad("malformed request");
}

Request to_request(BeastRequest&& message, std::string remote_address) {
  Request r;
  r.method = std::string(message.method_string());
  r.target = std::string(message.target());
  const std::string_view target = r.target;
  const auto q = target.find('?');
  r.path = percent_decode(target.substr(0, q)).value_or("");
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  r.version = message.version();
  r.keep_alive = message.keep_alive();
  r.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
  for (const auto& f : message) r.headers.emplace_back(f.name_string(), f.value());
  r.body = std::move(message.body());
  r.remote_address = std::move(remote_address);
  return r;
}

}  // namespace detail

ParseOutcome parse_request(std::string_view bytes, const ParseLimits& limits) {
  detail::RequestParser parser;
  detail::configure(parser, limits);
  parser.eager(false);  // stop after the head, as the server does, to check it before the body
  ParseOutcome out;
  while (!parser.is_done()) {
    const bool head_was_done = parser.is_header_done();
    boost::system::error_code ec;
    const auto rest = bytes.substr(out.consumed);
    const auto n = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    out.consumed += n;
    if (ec == boost::beast::http::error::need_more) {
      if (n == 0) return out;  // the input ends before the request does
      continue;
    }
    if (ec) {
      out.error = detail::error_for(ec).value_or(RequestError{400, "malformed request"});
      return out;
    }
    if (!head_was_done && parser.is_header_done()) {
      if (auto e = detail::check_head(parser.get())) {
        out.error = std::move(e);
        return out;
      }
      parser.eager(true);
    } else if (n == 0) {
      return out;  // no progress without an error: treat as incomplete rather than spin
    }
  }
  out.request = detail::to_request(parser.release(), "");
  return out;
}

}  // namespace gatehouse::http
