#include "http/detail/beast_parsing.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/url/authority_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>

#include <algorithm>
#include <variant>

namespace gatehouse::http {
namespace detail {
namespace bhttp = boost::beast::http;
namespace urls = boost::urls;

namespace {

RequestError bad(std::string reason) {
  return {400, std::move(reason)};
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 18 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The fields the framing rules look at, counted with their first values in one walk over the
// head (Beast's lookups by name each search an ordered tree with a case-insensitive compare).
struct FramingFields {
  std::size_t transfer_encodings = 0, content_lengths = 0, hosts = 0;
  std::string_view transfer_encoding, content_length, host;  // the first of each
};

FramingFields framing_fields(const BeastRequest& head) {
  FramingFields out;
  const auto note = [](std::size_t& n, std::string_view& first, std::string_view value) {
    if (n++ == 0) first = value;
  };
  for (const auto& f : head) {
    const std::string_view value(f.value().data(), f.value().size());
    switch (f.name()) {
      case bhttp::field::transfer_encoding:
        note(out.transfer_encodings, out.transfer_encoding, value);
        break;
      case bhttp::field::content_length:
        note(out.content_lengths, out.content_length, value);
        break;
      case bhttp::field::host:
        note(out.hosts, out.host, value);
        break;
      default:
        break;
    }
  }
  return out;
}

// A port as Host may carry it: 1 to 5 digits, at most 65535.
bool port_number(std::string_view port) {
  if (port.empty() || port.size() > 5 || !all_digits(port)) return false;
  unsigned long number = 0;
  for (const char c : port) number = number * 10 + static_cast<unsigned long>(c - '0');
  return number <= 65535;
}

std::string_view view(urls::string_view s) {
  return {s.data(), s.size()};
}

// RFC 9112 3.2: Host = uri-host [ ":" port ], an RFC 3986 authority without userinfo. Stricter
// than the grammar where that costs no real client: the host may not be empty (an empty Host
// goes with targets that have no authority, which we refuse anyway), IPvFuture is refused, and
// a colon must be followed by a port number.
std::optional<urls::authority_view> host_and_port(std::string_view text) {
  auto authority = urls::parse_authority(urls::string_view(text.data(), text.size()));
  if (!authority || authority->has_userinfo() || authority->encoded_host().empty())
    return std::nullopt;
  const auto type = authority->host_type();
  if (type != urls::host_type::name && type != urls::host_type::ipv4 &&
      type != urls::host_type::ipv6)
    return std::nullopt;
  if (authority->has_port() && !port_number(view(authority->port()))) return std::nullopt;
  return *authority;
}

}  // namespace

// A reg-name or a dotted IPv4 address of unreserved characters only (RFC 3986 2.3: ALPHA,
// DIGIT, "-", ".", "_", "~"), then an optional port of 1 to 5 digits up to 65535. Every such
// value is an authority host_and_port() accepts; what this refuses is left to it.
bool plain_host(std::string_view value) {
  const auto colon = value.find(':');
  const auto host = value.substr(0, colon);
  if (host.empty()) return false;
  for (const char c : host) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (!unreserved) return false;
  }
  return colon == std::string_view::npos || port_number(value.substr(colon + 1));
}

bool host_by_grammar(std::string_view value) {
  return host_and_port(value).has_value();
}

bool valid_host(std::string_view value) {
  return plain_host(value) || host_by_grammar(value);
}

namespace {

// The request-target once checked, as views into it (or into static text).
struct Target {
  std::string_view path;                      // still percent-encoded; starts with '/'
  std::optional<std::string_view> query;      // still encoded, without the '?'
  std::optional<std::string_view> authority;  // absolute-form only: it replaces Host
  std::string decoded_path;                   // `path` percent-decoded (no NUL in it)
};

// RFC 9112 3.2: origin-form, and absolute-form (which a server must accept, 3.2.2) for http and
// https. The other two forms ask for a proxy or the whole server, neither of which we are.
// Whose authority an absolute-form names is routing's business, not the parser's.
std::variant<Target, RequestError> parse_target(bhttp::verb method, std::string_view target) {
  if (method == bhttp::verb::connect) return bad("CONNECT is not supported: not a proxy");
  if (target.find('#') != std::string_view::npos) return bad("fragment in request target");
  Target t;
  if (target.starts_with('/')) {
    const auto q = target.find('?');
    t.path = target.substr(0, q);
    if (q != std::string_view::npos) t.query = target.substr(q + 1);
  } else if (target == "*") {
    return bad(method == bhttp::verb::options ? "OPTIONS * is not supported"
                                              : "request target * is only for OPTIONS");
  } else {
    const auto uri = urls::parse_absolute_uri(urls::string_view(target.data(), target.size()));
    const bool web =
        uri && (uri->scheme_id() == urls::scheme::http || uri->scheme_id() == urls::scheme::https);
    if (!web) {
      // "example.com:443" is also an absolute URI, of scheme "example.com".
      if (const auto a = host_and_port(target); a && a->has_port())
        return bad("authority-form request target is only for CONNECT");
      return bad(uri ? "absolute-form request target must be http or https"
                     : "malformed request target");
    }
    // After an authority the path is empty or starts with '/' (RFC 3986 3.3). Boost.URL 1.81
    // does not insist: "http://t:80.1/x" comes back as port 80 and path ".1/x".
    const std::string_view path = view(uri->encoded_path());
    if (!uri->has_authority() || !host_and_port(view(uri->encoded_authority())) ||
        (!path.empty() && !path.starts_with('/')))
      return bad("absolute-form request target without a valid host[:port]");
    t.authority = view(uri->encoded_authority());
    t.path = path.empty() ? std::string_view("/") : path;
    if (uri->has_query()) t.query = view(uri->encoded_query());
  }
  auto decoded = percent_decode(t.path);
  if (!decoded) return bad("invalid request path");
  t.decoded_path = std::move(*decoded);
  return t;
}

// RFC 9112 5.2: a line of the head that starts with SP or HTAB continues the one before
// (obs-fold). Beast joins such lines silently, but a front proxy that does not would see other
// headers than we do ("Host: x" + " Content-Length: 5"), so we refuse them. Beast takes a field
// and its continuation lines in one piece, so a piece needs only `at_line_start` (it is not the
// first piece of the head) from the pieces before it.
bool has_folded_line(std::string_view piece, bool at_line_start) {
  const auto whitespace = [](char c) { return c == ' ' || c == '\t'; };
  if (at_line_start && !piece.empty() && whitespace(piece.front())) return true;
  for (auto nl = piece.find('\n'); nl != std::string_view::npos; nl = piece.find('\n', nl + 1))
    if (nl + 1 < piece.size() && whitespace(piece[nl + 1])) return true;
  return false;
}

}  // namespace

void configure(RequestParser& parser, const ParseLimits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser.body_limit(limits.max_body_bytes);
}

HeadStep feed_head(RequestParser& parser, std::string_view bytes, std::size_t consumed_before,
                   const ParseLimits& limits) {
  parser.eager(false);  // stop after the head, to check it before reading any body
  HeadStep step;
  boost::system::error_code ec;
  step.consumed = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (has_folded_line(bytes.substr(0, step.consumed), consumed_before > 0)) {
    step.error = bad("obsolete line folding in header");
    return step;
  }
  // Beast bounds each put, not their sum: a head that arrives in pieces could grow past it.
  if (consumed_before + step.consumed > limits.max_header_bytes) {
    step.error = RequestError{431, "request header too large"};
    return step;
  }
  if (ec == bhttp::error::need_more) return step;
  if (ec) {
    step.error = error_for(ec).value_or(bad("malformed request"));
    return step;
  }
  if (!parser.is_header_done()) return step;
  step.error = check_head(parser.get());
  step.done = !step.error;
  return step;
}

std::optional<RequestError> check_head(const BeastRequest& head) {
  if (head.version() != 10 && head.version() != 11)
    return RequestError{505, "HTTP version not supported"};

  // Request smuggling defences: one unambiguous way to find the end of the body.
  const auto fields = framing_fields(head);
  const auto te = fields.transfer_encodings;
  const auto cl = fields.content_lengths;
  if (te > 0) {
    if (head.version() == 10) return bad("Transfer-Encoding on HTTP/1.0");
    if (te != 1 || !iequals(fields.transfer_encoding, "chunked"))
      return bad("unsupported Transfer-Encoding");
    if (cl > 0) return bad("Transfer-Encoding with Content-Length");
  }
  if (cl > 1) return bad("duplicate Content-Length");
  if (cl == 1 && !all_digits(fields.content_length)) return bad("invalid Content-Length");

  // RFC 9112 3.2. Checked even when an absolute-form target overrides it (3.2.2): whatever
  // stands in front of us may route on it.
  if (fields.hosts > 1) return bad("duplicate Host");
  if (fields.hosts == 0 && head.version() == 11) return bad("missing Host");
  if (fields.hosts == 1 && !valid_host(fields.host)) return bad("invalid Host");

  auto target = parse_target(head.method(), head.target());
  if (auto* error = std::get_if<RequestError>(&target)) return std::move(*error);
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
  Request r = to_request_head(message, std::move(remote_address));
  r.body = std::move(message.body());
  return r;
}

Request to_request_head(const BeastRequest& message, std::string remote_address) {
  Request r;
  r.method = std::string(message.method_string());
  std::optional<std::string> authority;
  auto parsed = parse_target(message.method(), message.target());
  if (auto* t = std::get_if<Target>(&parsed)) {
    r.path = std::move(t->decoded_path);
    if (t->query) r.query = std::string(*t->query);
    if (t->authority) {
      authority = std::string(*t->authority);
      r.target = std::string(t->path) + (t->query ? "?" + r.query : "");
    } else {
      r.target = std::string(message.target());
    }
  }
  r.version = message.version();
  r.keep_alive = message.keep_alive();
  r.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())) + 1);
  bool host_seen = false;
  for (const auto& f : message) {
    const bool host = f.name() == bhttp::field::host;
    host_seen = host_seen || host;
    r.headers.emplace_back(f.name_string(),
                           host && authority ? *authority : std::string(f.value()));
  }
  if (authority && !host_seen) r.headers.emplace_back("Host", *authority);
  r.remote_address = std::move(remote_address);
  return r;
}

}  // namespace detail

ParseOutcome parse_request(std::string_view bytes, const ParseLimits& limits) {
  detail::RequestParser parser;
  detail::configure(parser, limits);
  ParseOutcome out;
  for (;;) {
    const auto step = detail::feed_head(parser, bytes.substr(out.consumed), out.consumed, limits);
    out.consumed += step.consumed;
    if (step.error) {
      out.error = step.error;
      return out;
    }
    if (step.done) break;
    if (step.consumed == 0) return out;  // the input ends before the head does
  }
  parser.eager(true);
  while (!parser.is_done()) {
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
    if (n == 0) return out;  // no progress without an error: treat as incomplete rather than spin
  }
  out.request = detail::to_request(parser.release(), "");
  return out;
}

}  // namespace gatehouse::http
