#include "bff/return_url.hpp"

namespace gatehouse::bff {

bool is_local_return_url(std::string_view url) noexcept {
  if (url.empty() || url.size() > 2048 || url[0] != '/') return false;
  if (url.size() > 1 && (url[1] == '/' || url[1] == '\\')) return false;
  for (unsigned char c : url)
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  return true;
}

}  // namespace gatehouse::bff
