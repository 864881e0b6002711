// application/x-www-form-urlencoded parsing: never crashes, respects the field bound, and
// anything it accepts re-encodes to something it accepts again with the same fields.
#include "http/message.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

std::string encode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto fields = gatehouse::http::parse_form(body, 16);
  if (!fields) return 0;
  if (fields->size() > 16) std::abort();
  std::string again;
  for (const auto& [name, value] : *fields) {
    if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) std::abort();
    if (!again.empty()) again += '&';
    again += encode(name) + "=" + encode(value);
  }
  if (gatehouse::http::parse_form(again, 16) != fields) std::abort();
  return 0;
}
