// Arbitrary bytes through the server's request parsing (same parser setup, same framing
// checks), then through everything a handler may call on the result.
#include "http/request_parsing.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const gatehouse::http::ParseLimits limits{.max_header_bytes = 4096, .max_body_bytes = 4096};
  // The hand check of common Host values never accepts what the full grammar refuses.
  if (gatehouse::http::detail::plain_host(bytes) &&
      !gatehouse::http::detail::host_by_grammar(bytes))
    std::abort();
  const auto out = gatehouse::http::parse_request(bytes, limits);
  if (out.consumed > size || (out.request && out.error)) std::abort();
  if (out.error && out.error->status != 400 && out.error->status != 413 &&
      out.error->status != 431 && out.error->status != 505)
    std::abort();
  if (const auto& r = out.request) {
    if (r->path.empty() || r->path.front() != '/' || r->path.find('\0') != std::string::npos ||
        r->body.size() > limits.max_body_bytes)
      std::abort();
    (void)r->header("host");
    (void)r->header_count("content-length");
    (void)r->query_param("code");
    (void)r->query_param_count("state");
    (void)r->cookies();
  }
  return 0;
}
