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

#include <string_view>

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

}  // namespace gatehouse::url
