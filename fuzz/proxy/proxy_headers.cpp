// Hostile header blocks and request targets through the proxy's rules: never a crash, and
// nothing the gateway keeps to itself (cookies, CSRF, credentials, hop-by-hop headers) ever
// crosses, whichever way.
//
// Input: a request target line, then "name: value" lines (as the server hands them over).
#include "proxy/hop_headers.hpp"
#include "proxy/route_table.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using gatehouse::http::Fields;
using gatehouse::http::iequals;

Fields parse_lines(std::string_view rest) {
  Fields fields;
  while (!rest.empty() && fields.size() < 128) {
    const auto nl = rest.find('\n');
    const auto line = rest.substr(0, nl);
    if (const auto colon = line.find(':'); colon != std::string_view::npos)
      fields.emplace_back(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return fields;
}

const gatehouse::proxy::RouteTable& table() {
  static const gatehouse::proxy::RouteTable routes = [] {
    std::vector<gatehouse::config::ApiRoute> list(3);
    list[0].path = "/api";
    list[0].upstream = "http://127.0.0.1:9001/api";
    list[1].path = "/api/orders";
    list[1].upstream = "https://orders.internal/v2";
    list[2].path = "/x";
    list[2].upstream = "http://[::1]:1";
    return gatehouse::proxy::RouteTable(list);
  }();
  return routes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nl = input.find('\n');
  const auto target = input.substr(0, nl);
  const auto fields = parse_lines(nl == std::string_view::npos ? "" : input.substr(nl + 1));

  if (auto m = table().match(target)) {
    // The upstream target stays under the route's base path and never loses its leading '/'.
    if (m->upstream_target.empty() || m->upstream_target.front() != '/') std::abort();
    if (!m->upstream_target.starts_with(m->route->upstream.base_path)) std::abort();
  }
  gatehouse::proxy::has_dot_segment(target);

  const auto listed = gatehouse::proxy::connection_tokens(fields);
  for (bool websocket : {false, true}) {
    const auto up = gatehouse::proxy::upstream_request_headers(fields, {.websocket = websocket});
    for (const auto& [name, value] : up) {
      if (iequals(name, "cookie") || iequals(name, "authorization") || iequals(name, "x-csrf") ||
          iequals(name, "host") || iequals(name, "content-length"))
        std::abort();
      if (!websocket && gatehouse::proxy::is_hop_by_hop(name, listed)) std::abort();
    }
  }
  for (int status : {101, 200, 304}) {
    const auto down = gatehouse::proxy::browser_response_headers(fields, status);
    for (const auto& [name, value] : down.headers) {
      if (iequals(name, "set-cookie") || iequals(name, "content-length")) std::abort();
      if (status != 101 && gatehouse::proxy::is_hop_by_hop(name, listed)) std::abort();
    }
  }
  gatehouse::proxy::is_valid_traceparent(input);
  return 0;
}
