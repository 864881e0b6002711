#include "oidc/logout_token.hpp"

#include "jose/jwt.hpp"

#include <cmath>

namespace gatehouse::oidc {
namespace {

using Seconds = std::chrono::duration<double>;
using TimePoint = std::chrono::system_clock::time_point;

Failure invalid(std::string reason) {
  return Failure{OidcErrc::invalid_logout_token, "logout token: " + std::move(reason)};
}

// A present claim must be a non-empty string of bounded size; absent is nullopt.
Outcome<std::optional<std::string>> optional_string(const boost::json::object& claims,
                                                    std::string_view name, std::size_t max) {
  const auto* v = claims.if_contains(name);
  if (!v) return std::optional<std::string>();
  if (!v->is_string() || v->get_string().empty() || v->get_string().size() > max)
    return invalid(std::string(name) + " is not a non-empty string");
  return std::optional<std::string>(std::string(v->get_string()));
}

TimePoint from_numeric_date(double seconds) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(Seconds(seconds)));
}

// iat and exp were checked by validate_jwt (present and numeric where required).
std::optional<double> numeric(const boost::json::object& claims, std::string_view name) {
  const auto* v = claims.if_contains(name);
  if (!v) return std::nullopt;
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  if (v->is_double() && std::isfinite(v->get_double())) return v->get_double();
  return std::nullopt;
}

}  // namespace

Outcome<LogoutToken> validate_logout_token(const jose::Jws& jws, const jose::Jwks& jwks,
                                           const LogoutTokenCheck& check) {
  jose::JwtCheck jwt;
  jwt.issuer = check.issuer;
  jwt.audience = check.client_id;
  jwt.now = check.now;
  jwt.max_skew = check.max_skew;
  jwt.exp = jose::ClaimRule::optional;  // 2.4: exp is REQUIRED by the spec, but providers that
                                        // omit it exist; iat bounds the token's age instead
  jwt.iat = jose::ClaimRule::required;
  jwt.sub = jose::ClaimRule::optional;
  jwt.nonce = jose::ClaimRule::forbidden;  // 2.4: a nonce would let it pass as an ID token
  jwt.typ = "logout+jwt";
  jwt.typ_required = false;
  auto claims = jose::validate_jwt(jws, jwks, jwt);
  if (!claims) {
    if (claims.error() == jose::JoseErrc::key_not_found) return invalid("unknown signing key");
    return invalid(claims.error().message());
  }

  // 2.4: events must be a JSON object with the back-channel logout member, itself an object.
  const auto* events = claims->if_contains("events");
  if (!events) return invalid("no events claim");
  if (!events->is_object()) return invalid("events is not a JSON object");
  const auto* event = events->get_object().if_contains(kBackchannelLogoutEvent);
  if (!event) return invalid("events lacks " + std::string(kBackchannelLogoutEvent));
  if (!event->is_object()) return invalid("the back-channel logout event is not a JSON object");

  LogoutToken token;
  token.issuer = check.issuer;
  auto sub = optional_string(*claims, "sub", 255);
  if (!sub) return sub.error();
  auto sid = optional_string(*claims, "sid", 255);
  if (!sid) return sid.error();
  if (!*sub && !*sid) return invalid("neither sub nor sid");
  token.subject = std::move(*sub);
  token.session_id = std::move(*sid);
  auto jti = optional_string(*claims, "jti", kMaxJtiBytes);
  if (!jti) return jti.error();
  if (!*jti) return invalid("no jti");
  token.jti = std::move(**jti);

  // Bounded age: without it a captured token (and its jti) would be good forever.
  const auto iat = from_numeric_date(*numeric(*claims, "iat"));
  const auto oldest = check.now - kLogoutTokenMaxAge - check.max_skew;
  if (iat < oldest) return invalid("issued too long ago (iat)");
  // It stays acceptable while both its age and its exp allow; its jti must be kept that long.
  auto until = iat + kLogoutTokenMaxAge + check.max_skew;
  if (const auto exp = numeric(*claims, "exp"))
    until = std::min(until, from_numeric_date(*exp) + check.max_skew);
  token.replay_until = until;
  return token;
}

}  // namespace gatehouse::oidc
