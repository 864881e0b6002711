#include "stores/redis/redis_url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace gatehouse::redis {
namespace {

UrlParse failed(std::string message) {
  return {std::nullopt, std::move(message)};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 userinfo characters (besides '%', handled by the caller).
bool userinfo_char(char c) {
  return is_alnum(c) || std::string_view("-._~!$&'()*+,;=:").find(c) != std::string_view::npos;
}

// Decodes one side of the userinfo; `what` names it in messages ("user", "password").
std::optional<std::string> decode_userinfo(std::string_view in, const char* what, std::size_t max,
                                           std::string& error) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      const bool two_more = i + 2 < in.size();
      const int hi = two_more ? hex_value(in[i + 1]) : -1;
      const int lo = two_more ? hex_value(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        error = std::string("the ") + what + " has a '%' that is not followed by two hex digits";
        return std::nullopt;
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        error = std::string("the ") + what + " holds a control character";
        return std::nullopt;
      }
    } else if (!userinfo_char(c)) {
      error = std::string("the ") + what +
              " holds a character that must be percent-encoded (e.g. '@' as %40, '/' as %2F)";
      return std::nullopt;
    }
    out += c;
    if (out.size() > max) {
      error = std::string("the ") + what + " is longer than " + std::to_string(max) + " bytes";
      return std::nullopt;
    }
  }
  return out;
}

bool valid_dns_name(std::string_view host) {
  if (host.empty() || host.size() > UrlLimits::max_host) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0 || label > 63) return false;
      label = 0;
      continue;
    }
    const char c = host[i];
    if (!is_alnum(c) && c != '-' && c != '_') return false;
    if (c == '-' && label == 0) return false;
    ++label;
  }
  return true;
}

std::optional<Endpoint> parse_endpoint(std::string_view text, std::string& error) {
  Endpoint endpoint;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "an IPv6 address lacks its closing ']'";
      return std::nullopt;
    }
    endpoint.host = std::string(text.substr(1, close - 1));
    in6_addr address{};
    if (endpoint.host.empty() || endpoint.host.size() > 45 ||
        inet_pton(AF_INET6, endpoint.host.c_str(), &address) != 1) {
      error = "a bracketed host is not an IPv6 address (zones are not supported)";
      return std::nullopt;
    }
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        error = "an IPv6 address must be followed by ':port' or nothing";
        return std::nullopt;
      }
      port = rest.substr(1);
      if (port.empty()) {
        error = "a ':' is not followed by a port";
        return std::nullopt;
      }
    }
  } else {
    const auto colon = text.find(':');
    const auto host = text.substr(0, colon);
    if (!valid_dns_name(host)) {
      // Never echoed: a mistyped URL may hold a password where the host should be.
      error = host.empty() ? "a host is missing"
                           : "a host name may hold only letters, digits, '-', '_' and dots "
                             "(IPv6 addresses in brackets)";
      return std::nullopt;
    }
    endpoint.host = std::string(host);
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) {
        error = "a ':' is not followed by a port";
        return std::nullopt;
      }
    }
  }
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), is_digit) || value < 1 || value > 65535) {
      error = "the port must be a number from 1 to 65535";
      return std::nullopt;
    }
    endpoint.port = static_cast<std::uint16_t>(value);
  }
  return endpoint;
}

}  // namespace

std::string to_string(const Endpoint& endpoint) {
  const bool v6 = endpoint.host.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

UrlParse parse_redis_url(std::string_view text) {
  if (text.size() > UrlLimits::max_url)
    return failed("the URL is longer than " + std::to_string(UrlLimits::max_url) + " bytes");
  RedisUrl url;
  std::string_view rest;
  for (auto [prefix, scheme] : {std::pair{std::string_view("redis://"), Scheme::plain},
                                std::pair{std::string_view("rediss://"), Scheme::tls},
                                std::pair{std::string_view("redis+cluster://"), Scheme::cluster}}) {
    if (text.starts_with(prefix)) {
      url.scheme = scheme;
      rest = text.substr(prefix.size());
      break;
    }
  }
  if (rest.data() == nullptr)
    return failed("the URL must start with redis://, rediss:// or redis+cluster://");
  if (rest.find_first_of("?#") != std::string_view::npos)
    return failed("query strings and fragments are not supported");

  const auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  const auto path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);

  if (const auto at = authority.find('@'); at != std::string_view::npos) {
    if (authority.find('@', at + 1) != std::string_view::npos)
      return failed("a '@' in the user or password must be written %40");
    const auto userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos)
      return failed("the credentials must be written user:password@ or :password@");
    std::string error;
    auto user = decode_userinfo(userinfo.substr(0, colon), "user", UrlLimits::max_user, error);
    if (!user) return failed(error);
    auto password =
        decode_userinfo(userinfo.substr(colon + 1), "password", UrlLimits::max_password, error);
    if (!password) return failed(error);
    if (password->empty()) return failed("the password after ':' is empty");
    url.user = std::move(*user);
    url.password = std::move(*password);
  }

  if (authority.empty()) return failed("a host is missing");
  while (true) {
    const auto comma = authority.find(',');
    std::string error;
    auto endpoint = parse_endpoint(authority.substr(0, comma), error);
    if (!endpoint) return failed(error);
    url.endpoints.push_back(std::move(*endpoint));
    if (comma == std::string_view::npos) break;
    if (url.scheme != Scheme::cluster)
      return failed("several hosts are only allowed with redis+cluster://");
    if (url.endpoints.size() == UrlLimits::max_seeds)
      return failed("at most " + std::to_string(UrlLimits::max_seeds) + " cluster seed nodes");
    authority.remove_prefix(comma + 1);
  }

  if (path.size() > 1) {
    const auto digits = path.substr(1);
    int db = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), db);
    if (ec != std::errc{} || end != digits.data() + digits.size() ||
        !std::all_of(digits.begin(), digits.end(), is_digit) || digits.size() > 4 ||
        db > UrlLimits::max_database)
      return failed("the database after '/' must be a number from 0 to " +
                    std::to_string(UrlLimits::max_database));
    if (url.scheme == Scheme::cluster && db != 0)
      return failed("a Redis Cluster has only database 0");
    url.database = db;
  }
  return {std::move(url), {}};
}

}  // namespace gatehouse::redis
