#include "config/toml_values.hpp"

#include "config/text.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

namespace gatehouse::config {
namespace {

ParseResult<Value> wrong_type(const Setting& setting, const toml::node& node) {
  return {std::nullopt, "must be " + std::string(kind_description(setting.kind)) + ", got " +
                            std::string(type_name(node))};
}

}  // namespace

std::string location_of(const toml::source_region& region, std::string_view source_name) {
  return std::string(source_name) + ":" + std::to_string(region.begin.line) + ":" +
         std::to_string(region.begin.column);
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

ParseResult<Value> value_from_toml(const Setting& setting, const toml::node& node) {
  if (const auto* s = node.as_string()) return value_from_text(setting, s->get());
  if (const auto* i = node.as_integer()) {
    if (setting.kind == Kind::integer) return {Value{i->get()}, {}};
    // A size may be a plain byte count; a duration may not (is 30 seconds or minutes?).
    if (setting.kind == Kind::size && i->get() >= 0)
      return {Value{static_cast<std::uint64_t>(i->get())}, {}};
    if (setting.kind == Kind::size) return {std::nullopt, "must not be negative"};
    if (setting.kind == Kind::duration)
      return {std::nullopt, "must be a duration string with a unit, like \"" +
                                std::to_string(i->get()) + "s\", got an integer"};
  }
  if (const auto* b = node.as_boolean(); b && setting.kind == Kind::boolean)
    return {Value{b->get()}, {}};
  if (const auto* a = node.as_array(); a && setting.kind == Kind::string_list) {
    std::vector<std::string> items;
    for (std::size_t i = 0; i < a->size(); ++i) {
      const auto* item = a->get(i)->as_string();
      if (!item)
        return {std::nullopt, "must be an array of strings, but element " + std::to_string(i + 1) +
                                  " is " + std::string(type_name(*a->get(i)))};
      items.push_back(item->get());
    }
    return {Value{std::move(items)}, {}};
  }
  return wrong_type(setting, node);
}

std::string suggestion(std::string_view wrong, const std::vector<std::string>& candidates) {
  // No typo is this long, and edit distance is quadratic: a huge key must not stall start-up.
  if (wrong.size() > 64) return {};
  const std::string* best = nullptr;
  std::size_t best_distance = std::max<std::size_t>(2, wrong.size() / 3) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(wrong, c);
    if (d < best_distance) best = &c, best_distance = d;
  }
  return best ? " — did you mean " + *best + "?" : "";
}

// Keys may be quoted TOML strings holding anything; echo only bare-key-shaped ones verbatim.
std::string printable(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return bare && key.size() <= 64 ? std::string(key) : quote_for_message(key, 64);
}

Entries in_file_order(const toml::table& table) {
  Entries entries;
  for (const auto& [key, node] : table) entries.emplace_back(&key, &node);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return std::tie(pa.line, pa.column) < std::tie(pb.line, pb.column);
  });
  return entries;
}

}  // namespace gatehouse::config
