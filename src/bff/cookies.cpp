#include "bff/cookies.hpp"

#include "http/cookie_lookup.hpp"

namespace gatehouse::bff {

std::string set_cookie(const CookiePolicy& policy, std::string_view name, std::string_view value,
                       std::chrono::seconds max_age, std::optional<std::string_view> same_site) {
  std::string c;
  c.append(name).append("=").append(value);
  c.append("; Path=/; Max-Age=").append(std::to_string(std::max<long long>(0, max_age.count())));
  c.append("; HttpOnly");
  if (policy.secure) c.append("; Secure");
  c.append("; SameSite=").append(same_site.value_or(policy.same_site));
  return c;
}

std::string clear_cookie(const CookiePolicy& policy, std::string_view name) {
  return set_cookie(policy, name, "", std::chrono::seconds(0));
}

std::optional<std::string> find_cookie(const http::Request& request, std::string_view name) {
  if (auto value = http::find_cookie_value(request, name)) return std::string(*value);
  return std::nullopt;
}

}  // namespace gatehouse::bff
