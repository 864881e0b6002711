#include "http/request_id.hpp"

#include <algorithm>
#include <random>

namespace gatehouse::http {

bool sane_request_id(std::string_view id) noexcept {
  return !id.empty() && id.size() <= kMaxRequestIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string new_request_id() {
  // Per thread, seeded once from the OS: no lock, no system call per request.
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (std::size_t half = 0; half < 2; ++half) {
    std::uint64_t bits = engine();
    for (std::size_t i = 0; i < 16; ++i, bits >>= 4) out[half * 16 + i] = hex[bits & 0xf];
  }
  return out;
}

std::string request_id_for(const Request& request) {
  if (request.header_count("X-Request-Id") == 1)
    if (const auto id = request.header("X-Request-Id"); id && sane_request_id(*id))
      return std::string(*id);
  return new_request_id();
}

}  // namespace gatehouse::http
