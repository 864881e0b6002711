// Arbitrary bytes as session.redis_url: never a crash, and what parses is well-formed (one host
// unless a cluster, valid ports, bounded credentials, db 0 on a cluster). No message ever holds
// the password.
#include "stores/redis/redis_url.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gatehouse::redis;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = parse_redis_url(text);
  if (!result.url) {
    if (result.error.empty()) std::abort();
    return 0;
  }
  const auto& url = *result.url;
  if (url.endpoints.empty() || url.endpoints.size() > UrlLimits::max_seeds) std::abort();
  if (url.scheme != Scheme::cluster && url.endpoints.size() != 1) std::abort();
  if (url.scheme == Scheme::cluster && url.database != 0) std::abort();
  if (url.database < 0 || url.database > UrlLimits::max_database) std::abort();
  if (url.user.size() > UrlLimits::max_user || url.password.size() > UrlLimits::max_password)
    std::abort();
  if (!url.user.empty() && url.password.empty()) std::abort();
  for (const auto& e : url.endpoints) {
    if (e.host.empty() || e.host.size() > UrlLimits::max_host || e.port == 0) std::abort();
    if (to_string(e).empty()) std::abort();
  }
  return 0;
}
