#include "bff/user_claims.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <string_view>

namespace gatehouse::bff {
namespace {

// Protocol claims of the ID token say nothing about the user; the SPA does not get them.
constexpr std::array<std::string_view, 10> protocol_claims = {
    "aud", "azp", "iss", "iat", "nbf", "exp", "nonce", "at_hash", "c_hash", "s_hash"};

boost::json::object claim(std::string_view type, boost::json::value value) {
  boost::json::object o;
  o["type"] = type;
  o["value"] = std::move(value);
  return o;
}

}  // namespace

std::string user_claims_json(const boost::json::object& claims, const std::string& logout_url,
                             std::int64_t session_expires_in) {
  return complete_user_claims(user_claims_prefix(claims, logout_url), session_expires_in);
}

std::string complete_user_claims(std::string prefix, std::int64_t session_expires_in) {
  // Exactly what serializing the claim object would append: {"type":..,"value":N}]
  prefix += R"(,{"type":"bff:session_expires_in","value":)";
  prefix += std::to_string(session_expires_in);
  prefix += "}]";
  return prefix;
}

std::string user_claims_prefix(const boost::json::object& claims, const std::string& logout_url) {
  boost::json::array out;
  for (const auto& [name, value] : claims) {
    if (std::find(protocol_claims.begin(), protocol_claims.end(), name) != protocol_claims.end())
      continue;
    if (value.is_array()) {
      for (const auto& item : value.get_array()) out.push_back(claim(name, item));
    } else if (value.is_object()) {
      out.push_back(claim(name, boost::json::string(boost::json::serialize(value))));  // JSON text
    } else {
      out.push_back(claim(name, value));
    }
  }
  out.push_back(claim("bff:logout_url", boost::json::value(logout_url)));
  auto text = boost::json::serialize(out);
  text.pop_back();  // the closing "]": complete_user_claims() adds the last claim and it
  return text;
}

}  // namespace gatehouse::bff
