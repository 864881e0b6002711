// The plain responses every gatehouse listener shares (the BFF endpoints, the admin API, and
// whatever sits above the HTTP layer): answers that must never be cached.
#pragma once

#include "http/message.hpp"

#include <string>

namespace gatehouse::http {

inline Response no_store(Response r) {
  r.set_header("Cache-Control", "no-store");
  return r;
}

// A plain-text refusal with its reason on one line.
inline Response problem(int status, std::string reason) {
  return no_store(text(status, reason + "\n"));
}

}  // namespace gatehouse::http
