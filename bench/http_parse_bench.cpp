// What checking one request head costs: the whole parse of a typical `/bff/user` head (what the
// server runs for every request), and its Host check alone, by hand for the values real clients
// send beside the full RFC 3986 grammar (Boost.URL) it falls back to. Run:
// build/bench/http_parse_bench
#include "http/request_parsing.hpp"

#include <benchmark/benchmark.h>

#include <array>
#include <string>
#include <string_view>

namespace {

using namespace gatehouse::http;

const std::string kHead =
    "GET /bff/user?slide=false HTTP/1.1\r\nHost: 127.0.0.1:30296\r\nUser-Agent: wrk\r\n"
    "X-CSRF: 1\r\nCookie: __Host-gatehouse=" +
    std::string(86, 'A') + "\r\n\r\n";

constexpr std::array<std::string_view, 3> kHosts = {"127.0.0.1:30296", "localhost:8080",
                                                    "app.example.com"};

void ParseRequestHead(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(parse_request(kHead, ParseLimits{}));
}
BENCHMARK(ParseRequestHead);

template <bool (*Check)(std::string_view)>
void HostCheck(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(Check(kHosts[i++ % kHosts.size()]));
}
BENCHMARK(HostCheck<detail::host_by_grammar>)->Name("Host/grammar");
BENCHMARK(HostCheck<detail::valid_host>)->Name("Host/check");

}  // namespace

BENCHMARK_MAIN();
