// File and environment → Config. Every path returns problems; nothing the user wrote throws.
#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/file_reading.hpp"
#include "config/schema.hpp"
#include "config/text.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <tuple>

namespace gatehouse::config {
namespace {

// Far beyond any real config; keeps a wrong path (a log file, /dev/zero) from eating memory.
constexpr std::size_t max_file_size = 1024 * 1024;

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

ParseResult<Value> wrong_type(const Setting& setting, const toml::node& node) {
  return {std::nullopt, "must be " + std::string(kind_description(setting.kind)) + ", got " +
                            std::string(type_name(node))};
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

std::vector<std::string> setting_names() {
  std::vector<std::string> out;
  for (const auto& s : all_settings()) out.push_back(s.name());
  return out;
}

// Keys may be quoted TOML strings holding anything; echo only bare-key-shaped ones verbatim.
std::string printable(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return bare && key.size() <= 64 ? std::string(key) : quote_for_message(key, 64);
}

void unknown_key(std::string_view section, std::string_view key, const std::string& where,
                 Diagnostics& d) {
  const std::string name =
      section.empty() ? printable(key) : std::string(section) + "." + printable(key);
  // The right key in the wrong section is the likeliest slip, so check that before typos.
  std::string elsewhere;
  for (const auto& s : all_settings())
    if (s.key == key) elsewhere += (elsewhere.empty() ? "" : " or ") + s.name();
  if (!elsewhere.empty()) {
    d.error_at(where, "unknown setting " + name + " — did you mean " + elsewhere + "?");
    return;
  }
  d.error_at(where, "unknown setting " + name + suggestion(name, setting_names()));
}

using Entries = std::vector<std::pair<const toml::key*, const toml::node*>>;

// toml++ iterates keys alphabetically; problems read better in file order.
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

void apply_section(std::string_view section, const toml::table& table, std::string_view source,
                   Config& config, Diagnostics& d) {
  for (const auto& [key, node] : in_file_order(table)) {
    const Setting* setting = find_setting(section, key->str());
    if (!setting) {
      unknown_key(section, key->str(), location_of(key->source(), source), d);
      continue;
    }
    // Point at the value: that is what is wrong when conversion or validation fails.
    d.set_origin(setting->name(), location_of(node->source(), source), {});
    auto value = value_from_toml(*setting, *node);
    if (!value) {
      d.error(setting->name(), std::move(value.error));
      continue;
    }
    setting->assign(config, std::move(*value.value));
  }
}

void apply_document(const toml::table& root, std::string_view source, Config& config,
                    Diagnostics& d) {
  const auto& sections = all_sections();
  for (const auto& [key, node] : in_file_order(root)) {
    const std::string_view name = key->str();
    const std::string where = location_of(key->source(), source);
    const bool known = std::find(sections.begin(), sections.end(), name) != sections.end();
    if (const auto* table = node->as_table(); table && known) {
      apply_section(name, *table, source, config, d);
    } else if (known) {
      d.error_at(where, "[" + printable(name) + "] must be a section (a table), got " +
                            std::string(type_name(*node)));
    } else if (node->is_table()) {
      std::vector<std::string> names;
      for (const auto section : sections) names.push_back("[" + std::string(section) + "]");
      const std::string wrong = "[" + printable(name) + "]";
      d.error_at(where, "unknown section " + wrong + suggestion(wrong, names));
    } else {
      // A top-level key: settings always live in a section.
      unknown_key("", name, where, d);
    }
  }
}

void apply_environment(const Environment& env, Config& config, Diagnostics& d) {
  std::vector<std::string> env_names;
  for (const auto& s : all_settings()) env_names.push_back(s.env_var());
  for (const auto& entry : env) {
    // Named, not a structured binding: clang 14 cannot capture those in the lambda below.
    const std::string& name = entry.first;
    const std::string& text = entry.second;
    const Setting* setting = find_setting_by_env(name);
    if (!setting) {
      // Only our own sections' prefixes are ours to police; GATEHOUSE_CONFIG and friends may
      // belong to the launcher.
      const bool ours = std::any_of(env_names.begin(), env_names.end(), [&](const auto& known) {
        const auto section_prefix = known.substr(0, known.find('_', 10) + 1);
        return name.starts_with(section_prefix);
      });
      if (ours) d.error_at("environment", "unknown variable " + name + suggestion(name, env_names));
      continue;
    }
    d.set_origin(setting->name(), {}, name);
    auto value = value_from_env(*setting, text);
    if (!value) {
      d.error(setting->name(), std::move(value.error));
      continue;
    }
    setting->assign(config, std::move(*value.value));
  }
}

void check_required(Diagnostics& d) {
  for (const auto& s : all_settings()) {
    if (!s.required || d.is_set(s.name())) continue;
    d.error(s.name(), "is required: set " + std::string(s.key) + " in [" + std::string(s.section) +
                          "] or " + s.env_var());
  }
}

// `file_perms` is set when the text came from a file, for the secret-exposure warning.
LoadResult load(std::string_view toml_text, std::string_view source, const Environment& env,
                std::optional<std::filesystem::perms> file_perms) {
  Config config;
  Diagnostics d;
  try {
    const toml::table root = toml::parse(toml_text, source);
    apply_document(root, source, config, d);
    using P = std::filesystem::perms;
    for (const auto& setting : all_settings()) {
      if (!setting.secret || !file_perms ||
          (*file_perms & (P::group_read | P::others_read)) == P::none)
        continue;
      const auto* table = root.get_as<toml::table>(setting.section);
      const auto* secret = table ? table->get(setting.key) : nullptr;
      if (secret)
        d.warning_at(location_of(secret->source(), source),
                     "is in a file readable by group or others; chmod 600 the file or pass the "
                     "secret in " +
                         setting.env_var() + " instead",
                     setting.name());
    }
  } catch (const toml::parse_error& e) {
    // Nothing after a syntax error is trustworthy; report only that.
    LoadResult result;
    result.errors.push_back(Problem{{},
                                    "TOML syntax error: " + std::string(e.description()),
                                    location_of(e.source(), source),
                                    {}});
    return result;
  }
  apply_environment(env, config, d);
  check_required(d);
  validate(config, d);

  LoadResult result;
  result.errors = d.take_errors();
  result.warnings = d.take_warnings();
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

LoadResult file_error(const std::filesystem::path& file, std::string message) {
  LoadResult result;
  result.errors.push_back(Problem{{}, std::move(message), file.string(), {}});
  return result;
}

}  // namespace

LoadResult load_config_from_string(std::string_view toml, const Environment& env,
                                   std::string_view source_name) {
  return load(toml, source_name, env, std::nullopt);
}

LoadResult load_config(const std::optional<std::filesystem::path>& file, const Environment& env) {
  if (!file) return load({}, "<none>", env, std::nullopt);
  auto contents = read_small_file(*file, max_file_size);
  if (!contents.text) return file_error(*file, "config file " + contents.problem);
  return load(*contents.text, file->string(), env, contents.permissions);
}

}  // namespace gatehouse::config
