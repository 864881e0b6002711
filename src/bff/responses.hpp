// Internal: the plain responses every gatehouse endpoint shares.
#pragma once

#include "http/message.hpp"

#include <string>

namespace gatehouse::bff {

inline http::Response no_store(http::Response r) {
  r.set_header("Cache-Control", "no-store");
  return r;
}

inline http::Response problem(int status, std::string reason) {
  return no_store(http::text(status, reason + "\n"));
}

inline http::Response unavailable() {
  auto r = problem(503, "session store unavailable, try again shortly");
  r.set_header("Retry-After", "5");
  return r;
}

// Anti-forgery: a custom header forces a CORS preflight, so other sites cannot send it.
inline bool has_csrf_header(const http::Request& r) {
  return r.header_count("X-CSRF") == 1 && r.header("X-CSRF") == "1";
}

}  // namespace gatehouse::bff
