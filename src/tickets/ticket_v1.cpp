// Format v1 (JSON): still read, so sessions sealed before format v2 keep working.
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "tickets/ticket_format.hpp"

namespace gatehouse::tickets {
namespace {

std::optional<std::string> string_member(const boost::json::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().get_string());
}

std::optional<std::int64_t> int_member(const boost::json::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end() || !it->value().is_int64()) return std::nullopt;
  return it->value().get_int64();
}

}  // namespace

std::optional<SessionTicket> parse_ticket_v1(std::string_view json) {
  if (json.size() > max_ticket_bytes) return std::nullopt;
  boost::json::parse_options limits;
  limits.max_depth = 32;
  boost::system::error_code ec;
  auto value = boost::json::parse(json, ec, {}, limits);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& o = value.get_object();
  auto v = o.find("v");
  if (v == o.end() || !v->value().is_int64() || v->value().get_int64() != 1) return std::nullopt;
  auto claims = o.find("claims");
  if (claims == o.end() || !claims->value().is_object()) return std::nullopt;
  SessionTicket t;
  t.claims = claims->value().get_object();
  auto id_token = string_member(o, "id_token");
  auto access_token = string_member(o, "access_token");
  if (!id_token || !access_token) return std::nullopt;
  t.id_token = std::move(*id_token);
  t.access_token = std::move(*access_token);
  t.refresh_token = string_member(o, "refresh_token");
  t.access_token_expires_at = int_member(o, "access_token_expires_at");
  t.token_type = string_member(o, "token_type").value_or("Bearer");
  if (auto r = o.find("resources"); r != o.end()) {
    if (!r->value().is_array() || r->value().get_array().size() > max_resource_tokens)
      return std::nullopt;
    for (const auto& entry : r->value().get_array()) {
      if (!entry.is_object()) return std::nullopt;
      const auto& e = entry.get_object();
      auto resource = string_member(e, "resource");
      auto token = string_member(e, "access_token");
      if (!resource || !token) return std::nullopt;
      t.resource_tokens.push_back({std::move(*resource), std::move(*token),
                                   string_member(e, "token_type").value_or("Bearer"),
                                   int_member(e, "access_token_expires_at")});
    }
  }
  return t;
}

}  // namespace gatehouse::tickets
