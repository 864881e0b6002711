// Every URL gatehouse accepts (settings, discovery documents, upstreams) is parsed here, not
// with Boost.URL directly: Boost.URL 1.81 ends a port at its last digit, so
// "https://idp.example:443.evil.example/x" parses as host idp.example with the path
// ".evil.example/x", where a browser sees another host. A URL with an authority must have an
// empty path or one that starts with '/' (RFC 3986 3.3).
#pragma once

#include <boost/system/errc.hpp>
#include <boost/system/result.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace gatehouse::url {

inline bool path_follows_authority(const boost::urls::url_view& u) {
  const auto path = u.encoded_path();
  return !u.has_authority() || path.empty() || path.front() == '/';
}

// An absolute URI (scheme required, no fragment), as boost::urls::parse_absolute_uri.
inline boost::system::result<boost::urls::url_view> parse_absolute(std::string_view text) {
  auto u = boost::urls::parse_absolute_uri(text);
  if (!u) return u.error();
  if (!path_follows_authority(*u)) return make_error_code(boost::system::errc::invalid_argument);
  return *u;
}

// A URI (scheme required, fragment allowed), as boost::urls::parse_uri.
inline boost::system::result<boost::urls::url_view> parse(std::string_view text) {
  auto u = boost::urls::parse_uri(text);
  if (!u) return u.error();
  if (!path_follows_authority(*u)) return make_error_code(boost::system::errc::invalid_argument);
  return *u;
}

// Where an http(s) URL points, for a client: what to resolve and connect to, the Host header,
// and the origin-form target. Refuses userinfo (credentials in URLs end up in logs), other
// schemes, empty hosts and ports outside 1..65535.
struct HttpTarget {
  bool tls = false;
  std::string host;  // for DNS / the socket: IP literals without brackets
  bool host_is_name = false;
  std::string port;
  std::string host_header;           // as in the URL: brackets, and the port when it was given
  std::string origin;                // "https://host:port" as written
  std::string path;                  // encoded, possibly empty
  std::optional<std::string> query;  // encoded, without '?'
  bool has_fragment = false;
};

inline std::optional<HttpTarget> parse_http_target(std::string_view text) {
  const auto parsed = parse_absolute(text);
  if (!parsed) return std::nullopt;
  const auto& u = *parsed;
  HttpTarget t;
  if (u.scheme_id() == boost::urls::scheme::https)
    t.tls = true;
  else if (u.scheme_id() != boost::urls::scheme::http)
    return std::nullopt;
  if (u.has_userinfo()) return std::nullopt;
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
      t.host = u.host_ipv4_address().to_string();
      break;
    case boost::urls::host_type::ipv6:
      t.host = u.host_ipv6_address().to_string();
      break;
    case boost::urls::host_type::name:
      t.host = u.host_name();
      t.host_is_name = true;
      break;
    default:
      return std::nullopt;
  }
  if (t.host.empty()) return std::nullopt;
  t.port = u.has_port() ? std::string(u.port()) : (t.tls ? "443" : "80");
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(t.port.data(), t.port.data() + t.port.size(), port);
  if (ec != std::errc{} || end != t.port.data() + t.port.size() || port == 0 || port > 65535)
    return std::nullopt;
  t.host_header = std::string(u.encoded_host_and_port());
  t.origin = std::string(u.scheme()) + "://" + t.host_header;
  t.path = std::string(u.encoded_path());
  if (u.has_query()) t.query = std::string(u.encoded_query());
  t.has_fragment = u.has_fragment();
  return t;
}

}  // namespace gatehouse::url
