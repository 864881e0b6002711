// File and environment → Config. Every path returns problems; nothing the user wrote throws.
#include "config/api_routes.hpp"
#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/file_reading.hpp"
#include "config/schema.hpp"
#include "config/text.hpp"
#include "config/toml_values.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <string>
#include <vector>

namespace gatehouse::config {
namespace {

// Far beyond any real config; keeps a wrong path (a log file, /dev/zero) from eating memory.
constexpr std::size_t max_file_size = 1024 * 1024;

std::vector<std::string> setting_names() {
  std::vector<std::string> out;
  for (const auto& s : all_settings()) out.push_back(s.name());
  return out;
}

void unknown_key(std::string_view section, std::string_view key, const std::string& where,
                 Diagnostics& d) {
  const std::string name =
      section.empty() ? printable(key) : std::string(section) + "." + printable(key);
  // The right key in the wrong section is the likeliest slip, so check that before typos.
  std::vector<std::string> matches;
  for (const auto& s : all_settings())
    if (s.key == key) matches.push_back(s.name());
  std::string elsewhere;  // "a", "a or b", "a, b or c"
  for (std::size_t n = 0; n < matches.size(); ++n)
    elsewhere += (n == 0 ? "" : n + 1 == matches.size() ? " or " : ", ") + matches[n];
  const auto& route_keys = api_route_keys();
  if (elsewhere.empty() && std::find(route_keys.begin(), route_keys.end(), key) != route_keys.end())
    elsewhere = printable(key) + " in an [[api]] table";
  if (!elsewhere.empty()) {
    d.error_at(where, "unknown setting " + name + " — did you mean " + elsewhere + "?");
    return;
  }
  d.error_at(where, "unknown setting " + name + suggestion(name, setting_names()));
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
    if (name == "api") {
      read_api_routes(*node, source, config, d);
    } else if (const auto* table = node->as_table(); table && known) {
      apply_section(name, *table, source, config, d);
    } else if (known) {
      d.error_at(where, "[" + printable(name) + "] must be a section (a table), got " +
                            std::string(type_name(*node)));
    } else if (node->is_table()) {
      std::vector<std::string> names;
      for (const auto section : sections) names.push_back("[" + std::string(section) + "]");
      const std::string wrong = "[" + printable(name) + "]";
      d.error_at(where, "unknown section " + wrong + suggestion(wrong, names));
    } else if (node->is_array_of_tables()) {
      const std::string wrong = "[[" + printable(name) + "]]";
      d.error_at(where, "unknown section " + wrong + suggestion(wrong, {"[[api]]"}));
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
    if (name == "GATEHOUSE_API" || name.starts_with("GATEHOUSE_API_")) {
      // Arrays of tables have no environment spelling; ignoring it would hide the mistake.
      d.error_at("environment", name +
                                    " cannot be used: [[api]] routes come from the "
                                    "configuration file only");
      continue;
    }
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
