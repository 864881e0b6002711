#include "oidc/url_encoding.hpp"

namespace gatehouse::oidc {
namespace {

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string form_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (is_unreserved(c)) {
      out.push_back(c);
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0F]);
  }
  return out;
}

std::string encode_params(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += form_encode(name);
    out.push_back('=');
    out += form_encode(value);
  }
  return out;
}

std::string append_query(std::string_view url, const Params& params) {
  std::string out(url);
  if (params.empty()) return out;
  const auto query = out.find('?');
  if (query == std::string::npos)
    out.push_back('?');
  else if (query + 1 != out.size() && out.back() != '&')
    out.push_back('&');
  out += encode_params(params);
  return out;
}

}  // namespace gatehouse::oidc
