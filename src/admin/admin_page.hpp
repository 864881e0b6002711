// The admin web page on the admin listener: GET /admin/ and its scripts and styles, compiled into
// the binary. The page holds no data, so it is served without the token; every call it makes to
// the admin API carries the token (kept in the tab's sessionStorage) as a bearer token. Served
// with a strict Content-Security-Policy (scripts, styles and requests from this origin only, no
// framing, no forms), nosniff, no referrer and no caching.
#pragma once

#include "http/message.hpp"

#include <optional>
#include <string_view>

namespace gatehouse::admin {

// The Content-Security-Policy of every page response.
inline constexpr std::string_view page_csp =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The answer when `request` is for the page ("/admin", "/admin/" or one of its files), nullopt
// otherwise (an API call, or an unknown path: those need the token).
std::optional<http::Response> serve_page(const http::Request& request);

}  // namespace gatehouse::admin
