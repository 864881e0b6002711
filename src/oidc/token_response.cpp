#include "oidc/token_response.hpp"

#include <cmath>

#include "http/message.hpp"
#include "jose/bounded_json.hpp"

namespace gatehouse::oidc {
namespace {

namespace json = boost::json;

// Longer lifetimes are treated as this one, so the time_point arithmetic cannot overflow.
constexpr double kMaxExpiresInSeconds = 10.0 * 365 * 24 * 3600;

Failure invalid(std::string detail) {
  return {OidcErrc::invalid_token_response, "token response: " + std::move(detail)};
}

// A non-empty string member, or nullptr.
const json::string* non_empty_string(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v || !v->is_string() || v->get_string().empty()) return nullptr;
  return &v->get_string();
}

std::optional<double> number(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double() && std::isfinite(v.get_double())) return v.get_double();
  return std::nullopt;
}

}  // namespace

std::string loggable(std::string_view text, std::size_t max) {
  std::string out;
  for (const char c : text.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  if (text.size() > max) out += "...";
  return out;
}

Outcome<Tokens> parse_token_response(std::string_view body,
                                     std::chrono::system_clock::time_point now,
                                     TokenResponseRules rules) {
  auto doc = jose::parse_json_object(body, kMaxTokenResponseBytes);
  if (!doc) return invalid("not a JSON object within the size limits");

  Tokens t;
  const auto* type = doc->if_contains("token_type");
  // RFC 6749 §5.1: token_type is case-insensitive. Anything else (MAC, ...) we cannot use.
  const auto is = [type](std::string_view name) {
    return type && type->is_string() && http::iequals(type->get_string(), name);
  };
  if (rules.binding == TokenBinding::dpop) {
    if (is("Bearer"))
      return invalid(
          "token_type is Bearer although a DPoP proof was sent: the provider did not bind the "
          "token (it may not support DPoP; oidc.dpop = false uses bearer tokens)");
    if (!is("DPoP")) return invalid("token_type is not DPoP");
    t.token_type = "DPoP";
  } else {
    if (!is("Bearer")) return invalid("token_type is not Bearer");
    t.token_type = "Bearer";
  }

  const auto* access = non_empty_string(*doc, "access_token");
  if (!access) return invalid("access_token missing");
  t.access_token = std::string(*access);
  if (rules.id_token != IdTokenRule::ignored) {
    const auto* v = doc->if_contains("id_token");
    const bool absent = !v || v->is_null();
    if (absent && rules.id_token == IdTokenRule::required) return invalid("id_token missing");
    if (!absent) {
      const auto* id = non_empty_string(*doc, "id_token");
      if (!id) return invalid("id_token is not a non-empty string");
      t.id_token = std::string(*id);
    }
  }

  if (const auto* v = doc->if_contains("expires_in"); v && !v->is_null()) {
    const auto seconds = number(*v);
    if (!seconds || *seconds < 0) return invalid("expires_in is not a non-negative number");
    const auto capped = std::chrono::duration<double>(std::min(*seconds, kMaxExpiresInSeconds));
    t.access_token_expires_at =
        now + std::chrono::duration_cast<std::chrono::system_clock::duration>(capped);
  }
  if (const auto* v = doc->if_contains("refresh_token"); v && !v->is_null()) {
    if (!v->is_string()) return invalid("refresh_token is not a string");
    // An empty refresh token is no refresh token: storing it would only make refresh fail later.
    if (!v->get_string().empty()) t.refresh_token = std::string(v->get_string());
  }
  if (const auto* v = doc->if_contains("scope"); v && !v->is_null()) {
    if (!v->is_string()) return invalid("scope is not a string");
    t.scope = std::string(v->get_string());
  }
  return t;
}

Failure token_error(int status, std::string_view body) {
  auto doc = jose::parse_json_object(body, kMaxTokenResponseBytes);
  const json::string* error = doc ? non_empty_string(*doc, "error") : nullptr;
  std::string detail = "token endpoint answered HTTP " + std::to_string(status);
  if (error) {
    detail += ", error " + loggable(*error, 64);
    if (const auto* description = non_empty_string(*doc, "error_description"))
      detail += ": " + loggable(*description);
  }
  // A provider that is down or throttling says nothing about the grant, whatever its body says.
  if (status >= 500 || status == 429 || !error) return {OidcErrc::token_request_failed, detail};
  if (*error == "invalid_grant") return {OidcErrc::grant_rejected, detail};
  return {OidcErrc::token_error_response, std::move(detail)};
}

std::optional<std::string> oauth_error_code(std::string_view body) {
  auto doc = jose::parse_json_object(body, kMaxTokenResponseBytes);
  const json::string* error = doc ? non_empty_string(*doc, "error") : nullptr;
  if (!error) return std::nullopt;
  return std::string(*error);
}

}  // namespace gatehouse::oidc
