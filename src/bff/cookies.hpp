// The cookies gatehouse sets: the session cookie and short-lived login/logout flow cookies.
#pragma once

#include "http/message.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::bff {

struct CookiePolicy {
  std::string session_name;  // e.g. "__Host-gatehouse"
  bool secure = true;        // always for __Host- names and https origins
  std::string same_site = "Lax";
};

// A Set-Cookie value: HttpOnly, Path=/, no Domain, Secure per policy. `same_site` overrides the
// policy (flow cookies must survive the provider's cross-site redirect, so they are Lax).
std::string set_cookie(const CookiePolicy& policy, std::string_view name, std::string_view value,
                       std::chrono::seconds max_age,
                       std::optional<std::string_view> same_site = std::nullopt);
std::string clear_cookie(const CookiePolicy& policy, std::string_view name);

// The first cookie of this name in the request.
std::optional<std::string> find_cookie(const http::Request& request, std::string_view name);

}  // namespace gatehouse::bff
