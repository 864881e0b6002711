#include "tickets/ticket.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace gatehouse::tickets {
namespace {

constexpr std::int64_t ticket_version = 1;
constexpr std::size_t max_ticket_json = 256 * 1024;
constexpr std::size_t max_resource_tokens = 16;

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

const ResourceToken* SessionTicket::find_resource(std::string_view resource) const {
  for (const auto& t : resource_tokens)
    if (t.resource == resource) return &t;
  return nullptr;
}

std::string serialize_ticket(const SessionTicket& t) {
  boost::json::object o;
  o["v"] = ticket_version;
  o["claims"] = t.claims;
  o["id_token"] = t.id_token;
  o["access_token"] = t.access_token;
  if (t.refresh_token) o["refresh_token"] = *t.refresh_token;
  if (t.access_token_expires_at) o["access_token_expires_at"] = *t.access_token_expires_at;
  if (t.token_type != "Bearer") o["token_type"] = t.token_type;
  if (!t.resource_tokens.empty()) {
    boost::json::array resources;
    for (const auto& r : t.resource_tokens) {
      boost::json::object e;
      e["resource"] = r.resource;
      e["access_token"] = r.access_token;
      if (r.token_type != "Bearer") e["token_type"] = r.token_type;
      if (r.access_token_expires_at) e["access_token_expires_at"] = *r.access_token_expires_at;
      resources.push_back(std::move(e));
    }
    o["resources"] = std::move(resources);
  }
  return boost::json::serialize(o);
}

std::optional<SessionTicket> parse_ticket(std::string_view json) {
  if (json.size() > max_ticket_json) return std::nullopt;
  boost::json::parse_options limits;
  limits.max_depth = 32;
  boost::system::error_code ec;
  auto value = boost::json::parse(json, ec, {}, limits);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& o = value.get_object();
  auto v = o.find("v");
  if (v == o.end() || !v->value().is_int64() || v->value().get_int64() != ticket_version)
    return std::nullopt;
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
