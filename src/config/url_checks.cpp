#include "config/url_checks.hpp"

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace gatehouse::config {

namespace urls = boost::urls;

bool is_loopback(const urls::url_view& url) {
  switch (url.host_type()) {
    case urls::host_type::ipv4:
      return url.host_ipv4_address() == urls::ipv4_address::loopback();
    case urls::host_type::ipv6:
      return url.host_ipv6_address() == urls::ipv6_address::loopback();
    case urls::host_type::name: {
      const auto host = url.encoded_host();
      return host.size() == 9 && std::equal(host.begin(), host.end(), "localhost",
                                            [](char a, char b) { return std::tolower(a) == b; });
    }
    default:
      return false;
  }
}

bool is_http_scheme(const urls::url_view& url) {
  return url.scheme_id() == urls::scheme::http || url.scheme_id() == urls::scheme::https;
}

bool valid_port(std::string_view port) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc{} && end == port.data() + port.size() && value >= 1 && value <= 65535;
}

}  // namespace gatehouse::config
