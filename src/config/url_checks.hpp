// Small facts about parsed URLs that several rules need: the origin, the issuer, upstreams.
#pragma once

#include <boost/url/url_view.hpp>

#include <string_view>

namespace gatehouse::config {

// 127.0.0.1, ::1 or localhost (any case): where plain http never leaves the machine.
bool is_loopback(const boost::urls::url_view& url);

bool is_http_scheme(const boost::urls::url_view& url);

// 1 to 65535, decimal digits only.
bool valid_port(std::string_view port);

}  // namespace gatehouse::config
