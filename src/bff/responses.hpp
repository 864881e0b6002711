// Internal: responses and checks the BFF endpoints share.
#pragma once

#include "http/responses.hpp"

namespace gatehouse::bff {

using http::no_store;
using http::problem;

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
