#include "config/api_routes.hpp"
#include "url/strict_url.hpp"

#include "config/schema.hpp"
#include "config/text.hpp"
#include "config/toml_values.hpp"

#include <boost/url/parse.hpp>

#include <array>
#include <utility>

namespace gatehouse::config {
namespace {

constexpr std::array<std::pair<std::string_view, TokenMode>, 5> token_mode_names{{
    {"user", TokenMode::user},
    {"user_or_client", TokenMode::user_or_client},
    {"client", TokenMode::client},
    {"user_or_none", TokenMode::user_or_none},
    {"none", TokenMode::none},
}};

// A route key converted by the shared conversions, which need only its kind (and choices).
struct RouteKey {
  Setting setting;
  void (*assign)(ApiRoute&, Value);
};

template <class T>
T take(Value& v) {
  return std::get<T>(std::move(v));
}

RouteKey make_key(std::string_view name, Kind kind, void (*assign)(ApiRoute&, Value)) {
  RouteKey k{Setting{"api", name, kind}, assign};
  if (kind == Kind::choice)
    for (const auto& [word, mode] : token_mode_names) k.setting.choices.push_back(word);
  return k;
}

// In the order describe() lists them.
const std::vector<RouteKey>& route_keys() {
  static const std::vector<RouteKey> keys{
      make_key("path", Kind::string, [](ApiRoute& r, Value v) { r.path = take<std::string>(v); }),
      make_key("upstream", Kind::string,
               [](ApiRoute& r, Value v) { r.upstream = take<std::string>(v); }),
      make_key("token", Kind::choice,
               [](ApiRoute& r, Value v) {
                 const auto word = take<std::string>(v);
                 for (const auto& [name, mode] : token_mode_names)
                   if (name == word) r.token = mode;
               }),
      make_key("scopes", Kind::string_list,
               [](ApiRoute& r, Value v) { r.scopes = take<std::vector<std::string>>(v); }),
      make_key("audience", Kind::string,
               [](ApiRoute& r, Value v) { r.audience = take<std::string>(v); }),
      // Read apart by read_claims (a table of claims is no Kind); listed for its place.
      make_key("require_claims", Kind::string, nullptr),
      make_key("csrf", Kind::boolean, [](ApiRoute& r, Value v) { r.csrf = take<bool>(v); }),
      make_key("websocket", Kind::boolean,
               [](ApiRoute& r, Value v) { r.websocket = take<bool>(v); }),
      make_key(
          "connect_timeout", Kind::duration,
          [](ApiRoute& r, Value v) { r.connect_timeout = take<std::chrono::milliseconds>(v); }),
      make_key(
          "response_timeout", Kind::duration,
          [](ApiRoute& r, Value v) { r.response_timeout = take<std::chrono::milliseconds>(v); }),
      make_key("max_body", Kind::size,
               [](ApiRoute& r, Value v) { r.max_body = take<std::uint64_t>(v); }),
  };
  return keys;
}

const RouteKey* find_route_key(std::string_view name) {
  for (const auto& k : route_keys())
    if (k.setting.key == name) return &k;
  return nullptr;
}

void unknown_route_key(std::size_t index, std::string_view key, const std::string& where,
                       Diagnostics& d) {
  const std::string name = api_setting(index, printable(key));
  // Everything after an [[api]] header belongs to that route until the next section, so a
  // setting of another section often lands here.
  std::string elsewhere;
  for (const auto& s : all_settings())
    if (s.key == key) elsewhere += (elsewhere.empty() ? "" : " or ") + s.name();
  if (!elsewhere.empty()) {
    d.error_at(where, "unknown setting " + name + " — did you mean " + elsewhere +
                          "? Keys after an [[api]] header belong to that route until the "
                          "next [section]");
    return;
  }
  std::vector<std::string> candidates;
  for (const auto k : api_route_keys()) candidates.push_back(api_setting(index, k));
  d.error_at(where, "unknown setting " + name + suggestion(name, candidates));
}

// One claim's required value: a non-empty string, or a non-empty array of them (any of).
ParseResult<std::vector<std::string>> claim_values(const toml::node& node) {
  using Result = ParseResult<std::vector<std::string>>;
  if (const auto* s = node.as_string()) {
    if (s->get().empty()) return {std::nullopt, "must not be an empty string"};
    return {std::vector<std::string>{s->get()}, {}};
  }
  const auto* array = node.as_array();
  if (!array)
    return {std::nullopt,
            "must be a string or an array of strings, got " + std::string(type_name(node))};
  if (array->empty()) return {std::nullopt, "must list at least one value"};
  std::vector<std::string> values;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* item = array->get(i)->as_string();
    if (!item || item->get().empty())
      return Result{std::nullopt, "must be an array of non-empty strings, but element " +
                                      std::to_string(i + 1) + " is " +
                                      (item ? "empty" : std::string(type_name(*array->get(i))))};
    values.push_back(item->get());
  }
  return {std::move(values), {}};
}

void read_claims(std::size_t index, const toml::node& node, std::string_view source,
                 ApiRoute& route, Diagnostics& d) {
  const std::string setting = api_setting(index, "require_claims");
  const std::string where = location_of(node.source(), source);
  d.set_origin(setting, where, {});
  const auto* table = node.as_table();
  if (!table) {
    d.error(setting, "must be a table of claim = value, like { groups = \"orders\" }, got " +
                         std::string(type_name(node)));
    return;
  }
  if (table->size() > ApiRouteLimits::max_claims) {
    d.error(setting, "has " + std::to_string(table->size()) + " claims; at most " +
                         std::to_string(ApiRouteLimits::max_claims) + " are allowed");
    return;
  }
  std::vector<ClaimRequirement> claims;
  for (const auto& [key, value] : in_file_order(*table)) {
    auto values = key->str().empty()
                      ? ParseResult<std::vector<std::string>>{std::nullopt, "must have a name"}
                      : claim_values(*value);
    if (!values) {
      // Point at the claim at fault, then back at the table for the rules that run later.
      d.set_origin(setting, location_of(value->source(), source), {});
      d.error(setting, "claim " + quote_for_message(key->str(), 64) + " " + values.error);
      d.set_origin(setting, where, {});
      continue;
    }
    claims.push_back(ClaimRequirement{std::string(key->str()), std::move(*values.value)});
  }
  route.require_claims = std::move(claims);
}

// "http://host:9001/" and "http://host:9001/orders/" mean the same as without the slash: the
// request's remainder starts with "/" or is empty. Anything unparseable is left for the rules.
void drop_trailing_slash(std::string& upstream) {
  const auto url = gatehouse::url::parse(upstream);
  if (url && url->has_authority() && !url->encoded_host().empty() && !url->has_query() &&
      !url->has_fragment() && url->encoded_path().ends_with('/'))
    upstream.pop_back();
}

void read_route(std::size_t index, const toml::table& table, std::string_view source,
                ApiRoute& route, Diagnostics& d) {
  for (const auto& [key, node] : in_file_order(table)) {
    if (key->str() == "require_claims") {
      read_claims(index, *node, source, route, d);
      continue;
    }
    const RouteKey* route_key = find_route_key(key->str());
    if (!route_key) {
      unknown_route_key(index, key->str(), location_of(key->source(), source), d);
      continue;
    }
    const std::string setting = api_setting(index, key->str());
    d.set_origin(setting, location_of(node->source(), source), {});
    auto value = value_from_toml(route_key->setting, *node);
    if (!value) {
      d.error(setting, std::move(value.error));
      continue;
    }
    route_key->assign(route, std::move(*value.value));
  }
  drop_trailing_slash(route.upstream);
  for (const std::string_view required : {"path", "upstream"}) {
    const std::string setting = api_setting(index, required);
    if (d.is_set(setting)) continue;
    d.set_origin(setting, location_of(table.source(), source), {});
    d.error(setting, "is required: every [[api]] route needs a path and an upstream");
  }
}

}  // namespace

std::string api_setting(std::size_t index, std::string_view key) {
  return "api[" + std::to_string(index) + "]." + std::string(key);
}

const std::vector<std::string_view>& api_route_keys() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& k : route_keys()) out.push_back(k.setting.key);
    return out;
  }();
  return names;
}

void read_api_routes(const toml::node& node, std::string_view source, Config& config,
                     Diagnostics& d) {
  const std::string shape = "must be an array of tables: one [[api]] table per route";
  d.set_origin("api", location_of(node.source(), source), {});
  const auto* array = node.as_array();
  if (!array) {
    d.error("api", shape + ", got " + std::string(type_name(node)));
    return;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (i == ApiRouteLimits::max_routes) {
      d.set_origin("api", location_of(element.source(), source), {});
      d.error("api", "has " + std::to_string(array->size()) + " routes; at most " +
                         std::to_string(ApiRouteLimits::max_routes) + " are allowed");
      return;
    }
    ApiRoute& route = config.api.emplace_back();
    if (const auto* table = element.as_table()) {
      read_route(i, *table, source, route, d);
      continue;
    }
    d.set_origin("api", location_of(element.source(), source), {});
    d.error("api",
            shape + ", but api[" + std::to_string(i) + "] is " + std::string(type_name(element)));
  }
}

std::string_view to_string(TokenMode value) {
  for (const auto& [name, mode] : token_mode_names)
    if (mode == value) return name;
  return "?";
}

}  // namespace gatehouse::config
