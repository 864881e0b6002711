#include "oidc/provider_metadata.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

#include "jose/bounded_json.hpp"

namespace gatehouse::oidc {
namespace {

namespace urls = boost::urls;
namespace json = boost::json;

Failure fail(std::string detail) {
  return {OidcErrc::discovery_failed, "discovery: " + std::move(detail)};
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// An endpoint we will send users or requests to: absolute, with a host, no fragment (OIDC
// Discovery §3 forbids one on the authorization endpoint; on the others it makes no sense).
bool usable_endpoint(std::string_view url, bool allow_http) {
  if (url.size() > kMaxEndpointUrlBytes) return false;
  const auto parsed = urls::parse_absolute_uri(url);
  if (!parsed || !parsed->has_authority() || parsed->encoded_host().empty()) return false;
  if (parsed->scheme_id() == urls::scheme::https) return true;
  return allow_http && parsed->scheme_id() == urls::scheme::http;
}

// A required endpoint: a usable URL string. An optional one may be absent, but when present it
// must be usable too: a wrong end_session_endpoint would send users to an attacker's page.
Outcome<std::optional<std::string>> endpoint(const json::object& doc, std::string_view name,
                                             bool required, bool allow_http) {
  const auto* v = doc.if_contains(name);
  if (!v || v->is_null()) {
    if (required) return fail(std::string(name) + " missing");
    return std::optional<std::string>();
  }
  if (!v->is_string() || !usable_endpoint(v->get_string(), allow_http))
    return fail(std::string(name) +
                (allow_http ? " is not an http(s) URL" : " is not an https URL"));
  return std::optional<std::string>(std::string(v->get_string()));
}

// A string array; absent means empty. Non-strings are ignored (informational fields only).
std::vector<std::string> strings(const json::object& doc, std::string_view name) {
  std::vector<std::string> out;
  const auto* v = doc.if_contains(name);
  if (!v || !v->is_array()) return out;
  for (const auto& item : v->get_array())
    if (item.is_string() && out.size() < 64) out.emplace_back(item.get_string());
  return out;
}

}  // namespace

bool is_loopback_url(std::string_view url) {
  const auto parsed = urls::parse_absolute_uri(url);
  if (!parsed) return false;
  switch (parsed->host_type()) {
    case urls::host_type::ipv4:
      return (parsed->host_ipv4_address().to_uint() >> 24) == 127;
    case urls::host_type::ipv6:
      return parsed->host_ipv6_address() == urls::ipv6_address::loopback();
    case urls::host_type::name:
      return iequals_ascii(parsed->encoded_host(), "localhost");
    default:
      return false;
  }
}

std::string discovery_url(std::string_view authority) {
  if (authority.ends_with('/')) authority.remove_suffix(1);
  return std::string(authority) + "/.well-known/openid-configuration";
}

Outcome<ProviderMetadata> parse_discovery(std::string_view text, std::string_view authority,
                                          bool allow_http) {
  auto doc = jose::parse_json_object(text, kMaxDiscoveryBytes);
  if (!doc) return fail("not a JSON object within the size limits");

  // OIDC Discovery §4.3: the issuer must be identical to the URL we asked, or a provider could
  // make us accept tokens minted for another tenant. No normalisation on purpose.
  const auto* issuer = doc->if_contains("issuer");
  if (!issuer || !issuer->is_string()) return fail("issuer missing");
  if (issuer->get_string() != authority)
    return Failure{OidcErrc::issuer_mismatch, "discovery: issuer differs from the authority"};

  ProviderMetadata m;
  m.issuer = std::string(authority);
  struct Field {
    const char* name;
    bool required;
    std::optional<std::string>* optional_target;
    std::string* required_target;
  };
  const Field fields[] = {
      {"authorization_endpoint", true, nullptr, &m.authorization_endpoint},
      {"token_endpoint", true, nullptr, &m.token_endpoint},
      {"jwks_uri", true, nullptr, &m.jwks_uri},
      {"end_session_endpoint", false, &m.end_session_endpoint, nullptr},
      {"revocation_endpoint", false, &m.revocation_endpoint, nullptr},
      {"userinfo_endpoint", false, &m.userinfo_endpoint, nullptr},
  };
  for (const auto& f : fields) {
    auto url = endpoint(*doc, f.name, f.required, allow_http);
    if (!url) return url.error();
    if (f.required_target)
      *f.required_target = std::move(**url);
    else
      *f.optional_target = std::move(*url);
  }

  if (const auto* v = doc->if_contains("authorization_response_iss_parameter_supported"))
    m.iss_parameter_supported = v->is_bool() && v->get_bool();
  m.token_endpoint_auth_methods = strings(*doc, "token_endpoint_auth_methods_supported");
  m.code_challenge_methods = strings(*doc, "code_challenge_methods_supported");
  return m;
}

}  // namespace gatehouse::oidc
