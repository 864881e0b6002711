#include "config/schema.hpp"

#include "config/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <type_traits>
#include <utility>

namespace gatehouse::config {
namespace {

template <class E, std::size_t N>
using Names = std::array<std::pair<std::string_view, E>, N>;

constexpr Names<TokenAuth, 2> names_of(TokenAuth) {
  return oidc::kTokenAuthNames;
}
constexpr Names<StoreKind, 4> names_of(StoreKind) {
  return {{{"sqlite", StoreKind::sqlite},
           {"memory", StoreKind::memory},
           {"postgres", StoreKind::postgres},
           {"redis", StoreKind::redis}}};
}
constexpr Names<SameSite, 2> names_of(SameSite) {
  return {{{"lax", SameSite::lax}, {"strict", SameSite::strict}}};
}
constexpr Names<LogFormat, 3> names_of(LogFormat) {
  return {{{"auto", LogFormat::automatic}, {"text", LogFormat::text}, {"json", LogFormat::json}}};
}
constexpr Names<LogLevel, 5> names_of(LogLevel) {
  return {{{"trace", LogLevel::trace},
           {"debug", LogLevel::debug},
           {"info", LogLevel::info},
           {"warn", LogLevel::warn},
           {"error", LogLevel::error}}};
}

template <class E>
std::string_view name_of(E value) {
  for (const auto& [name, e] : names_of(E{}))
    if (e == value) return name;
  return "?";
}

// Stores a converted value; value_from_text/value_from_env guarantee the alternative.
void store(std::string& field, Value v) {
  field = std::get<std::string>(std::move(v));
}
void store(std::filesystem::path& field, Value v) {
  field = std::get<std::string>(std::move(v));
}
void store(std::optional<std::filesystem::path>& field, Value v) {
  auto text = std::get<std::string>(std::move(v));
  // An empty value (typically GATEHOUSE_..._DIR="") unsets an optional path.
  field = text.empty() ? std::nullopt : std::optional<std::filesystem::path>(std::move(text));
}
void store(std::chrono::milliseconds& field, Value v) {
  field = std::get<std::chrono::milliseconds>(v);
}
void store(std::uint64_t& field, Value v) {
  field = std::get<std::uint64_t>(v);
}
void store(std::int64_t& field, Value v) {
  field = std::get<std::int64_t>(v);
}
void store(bool& field, Value v) {
  field = std::get<bool>(v);
}
void store(std::vector<std::string>& field, Value v) {
  field = std::get<std::vector<std::string>>(std::move(v));
}
template <class E>
requires std::is_enum_v<E>
void store(E& field, Value v) {
  const auto& text = std::get<std::string>(v);
  for (const auto& [name, e] : names_of(E{}))
    if (name == text) field = e;
}

std::optional<std::string> render(const std::string& v) {
  return toml_string(v);
}
std::optional<std::string> render(const std::filesystem::path& v) {
  return toml_string(v.string());
}
std::optional<std::string> render(const std::optional<std::filesystem::path>& v) {
  if (!v) return std::nullopt;
  return toml_string(v->string());
}
std::optional<std::string> render(std::chrono::milliseconds v) {
  return toml_string(format_duration(v));
}
std::optional<std::string> render(std::uint64_t v) {
  return toml_string(format_size(v));
}
std::optional<std::string> render(std::int64_t v) {
  return std::to_string(v);
}
std::optional<std::string> render(bool v) {
  return v ? "true" : "false";
}
std::optional<std::string> render(const std::vector<std::string>& v) {
  return toml_string_array(v);
}
template <class E>
requires std::is_enum_v<E> std::optional<std::string> render(E v) {
  return toml_string(name_of(v));
}

// The kind follows from the field's type, so a table entry cannot disagree with its field.
template <class T>
constexpr Kind kind_of() {
  if constexpr (std::is_enum_v<T>) return Kind::choice;
  if constexpr (std::is_same_v<T, std::filesystem::path>) return Kind::path;
  if constexpr (std::is_same_v<T, std::optional<std::filesystem::path>>) return Kind::optional_path;
  if constexpr (std::is_same_v<T, std::chrono::milliseconds>) return Kind::duration;
  if constexpr (std::is_same_v<T, std::uint64_t>) return Kind::size;
  if constexpr (std::is_same_v<T, std::int64_t>) return Kind::integer;
  if constexpr (std::is_same_v<T, bool>) return Kind::boolean;
  if constexpr (std::is_same_v<T, std::vector<std::string>>) return Kind::string_list;
  static_assert(std::is_same_v<T, std::string> || std::is_enum_v<T> ||
                    std::is_same_v<T, std::filesystem::path> ||
                    std::is_same_v<T, std::optional<std::filesystem::path>> ||
                    std::is_same_v<T, std::chrono::milliseconds> ||
                    std::is_same_v<T, std::uint64_t> || std::is_same_v<T, std::int64_t> ||
                    std::is_same_v<T, bool> || std::is_same_v<T, std::vector<std::string>>,
                "no Kind for this field type");
  return Kind::string;
}

enum class Flag { none, required, required_secret, secret };

// One setting bound to `(config.*Section).*Member`.
template <auto Section, auto Member>
Setting field(std::string_view section, std::string_view key, Flag flag = Flag::none) {
  using T = std::remove_cvref_t<decltype((std::declval<Config&>().*Section).*Member)>;
  Setting s{section, key, kind_of<T>(), flag == Flag::required || flag == Flag::required_secret,
            flag == Flag::required_secret || flag == Flag::secret};
  if constexpr (std::is_enum_v<T>)
    for (const auto& [name, e] : names_of(T{})) s.choices.push_back(name);
  s.assign = [](Config& c, Value v) { store((c.*Section).*Member, std::move(v)); };
  s.render = [](const Config& c) { return render((c.*Section).*Member); };
  return s;
}

std::vector<Setting> make_settings() {
  using C = Config;
  using Server = ServerConfig;
  using Oidc = OidcConfig;
  using Session = SessionConfig;
  return {
      field<&C::server, &Server::listen>("server", "listen"),
      field<&C::server, &Server::public_origin>("server", "public_origin", Flag::required),
      field<&C::server, &Server::tls_cert>("server", "tls_cert"),
      field<&C::server, &Server::tls_key>("server", "tls_key"),
      field<&C::server, &Server::max_body>("server", "max_body"),
      field<&C::server, &Server::read_timeout>("server", "read_timeout"),
      field<&C::server, &Server::idle_timeout>("server", "idle_timeout"),
      field<&C::server, &Server::threads>("server", "threads"),
      field<&C::server, &Server::trusted_proxies>("server", "trusted_proxies"),

      field<&C::oidc, &Oidc::authority>("oidc", "authority", Flag::required),
      field<&C::oidc, &Oidc::client_id>("oidc", "client_id", Flag::required),
      field<&C::oidc, &Oidc::client_secret>("oidc", "client_secret", Flag::required_secret),
      field<&C::oidc, &Oidc::scopes>("oidc", "scopes"),
      field<&C::oidc, &Oidc::token_auth>("oidc", "token_auth"),
      field<&C::oidc, &Oidc::clock_skew>("oidc", "clock_skew"),
      field<&C::oidc, &Oidc::refresh_margin>("oidc", "refresh_margin"),
      field<&C::oidc, &Oidc::dpop>("oidc", "dpop"),

      field<&C::session, &Session::store>("session", "store"),
      field<&C::session, &Session::sqlite_path>("session", "sqlite_path"),
      field<&C::session, &Session::postgres_url>("session", "postgres_url", Flag::secret),
      field<&C::session, &Session::postgres_pool>("session", "postgres_pool"),
      field<&C::session, &Session::postgres_timeout>("session", "postgres_timeout"),
      field<&C::session, &Session::postgres_schema>("session", "postgres_schema"),
      field<&C::session, &Session::postgres_auto_migrate>("session", "postgres_auto_migrate"),
      field<&C::session, &Session::redis_url>("session", "redis_url", Flag::secret),
      field<&C::session, &Session::redis_prefix>("session", "redis_prefix"),
      field<&C::session, &Session::redis_timeout>("session", "redis_timeout"),
      field<&C::session, &Session::partition>("session", "partition"),
      field<&C::session, &Session::idle_timeout>("session", "idle_timeout"),
      field<&C::session, &Session::max_lifetime>("session", "max_lifetime"),
      field<&C::session, &Session::cleanup_interval>("session", "cleanup_interval"),
      field<&C::session, &Session::cleanup_batch>("session", "cleanup_batch"),
      field<&C::session, &Session::renew_after>("session", "renew_after"),
      field<&C::session, &Session::cookie_name>("session", "cookie_name"),
      field<&C::session, &Session::same_site>("session", "same_site"),
      field<&C::session, &Session::backchannel_all_user_sessions>("session",
                                                                  "backchannel_all_user_sessions"),
      field<&C::session, &Session::max_per_user>("session", "max_per_user"),

      field<&C::keys, &KeysConfig::path>("keys", "path"),

      field<&C::frontend, &FrontendConfig::static_dir>("frontend", "static_dir"),
      field<&C::frontend, &FrontendConfig::spa_fallback>("frontend", "spa_fallback"),

      field<&C::bff, &BffConfig::base_path>("bff", "base_path"),

      field<&C::admin, &AdminConfig::listen>("admin", "listen"),
      field<&C::admin, &AdminConfig::token>("admin", "token", Flag::secret),

      field<&C::metrics, &MetricsConfig::listen>("metrics", "listen"),

      field<&C::log, &LogConfig::format>("log", "format"),
      field<&C::log, &LogConfig::level>("log", "level"),
      field<&C::log, &LogConfig::access>("log", "access"),

      field<&C::audit, &AuditConfig::file>("audit", "file"),
      // A webhook URL often carries its credential in the path or query: masked like one.
      field<&C::audit, &AuditConfig::webhook>("audit", "webhook", Flag::secret),
      field<&C::audit, &AuditConfig::queue>("audit", "queue"),
  };
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

ParseResult<Value> failed(std::string message) {
  return {std::nullopt, std::move(message)};
}

}  // namespace

std::string Setting::name() const {
  return std::string(section) + "." + std::string(key);
}
std::string Setting::env_var() const {
  return "GATEHOUSE_" + upper(section) + "_" + upper(key);
}

const std::vector<Setting>& all_settings() {
  static const std::vector<Setting> settings = make_settings();
  return settings;
}

const std::vector<std::string_view>& all_sections() {
  static const std::vector<std::string_view> sections = [] {
    std::vector<std::string_view> out;
    for (const auto& s : all_settings())
      if (std::find(out.begin(), out.end(), s.section) == out.end()) out.push_back(s.section);
    return out;
  }();
  return sections;
}

const Setting* find_setting(std::string_view section, std::string_view key) {
  for (const auto& s : all_settings())
    if (s.section == section && s.key == key) return &s;
  return nullptr;
}

const Setting* find_setting_by_env(std::string_view env_var) {
  for (const auto& s : all_settings())
    if (s.env_var() == env_var) return &s;
  return nullptr;
}

ParseResult<Value> value_from_text(const Setting& setting, std::string_view text) {
  switch (setting.kind) {
    case Kind::duration: {
      auto d = parse_duration(text);
      if (!d) return failed(std::move(d.error));
      return {Value{*d.value}, {}};
    }
    case Kind::size: {
      auto n = parse_size(text);
      if (!n) return failed(std::move(n.error));
      return {Value{*n.value}, {}};
    }
    case Kind::choice: {
      if (std::find(setting.choices.begin(), setting.choices.end(), text) != setting.choices.end())
        return {Value{std::string(text)}, {}};
      std::string allowed;
      const std::size_t n = setting.choices.size();
      for (std::size_t i = 0; i < n; ++i)
        allowed += (i == 0 ? "" : i + 1 == n ? " or " : ", ") + toml_string(setting.choices[i]);
      return failed("must be " + allowed + ", got " + quote_for_message(text));
    }
    case Kind::string:
    case Kind::path:
    case Kind::optional_path:
      return {Value{std::string(text)}, {}};
    case Kind::integer:
    case Kind::boolean:
    case Kind::string_list:
      break;
  }
  return failed("must be " + std::string(kind_description(setting.kind)) + ", got a string");
}

ParseResult<Value> value_from_env(const Setting& setting, std::string_view text) {
  switch (setting.kind) {
    case Kind::integer: {
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
        return failed("must be an integer, got " + quote_for_message(text));
      return {Value{n}, {}};
    }
    case Kind::boolean: {
      const std::string word = upper(text);
      if (word == "TRUE" || word == "1") return {Value{true}, {}};
      if (word == "FALSE" || word == "0") return {Value{false}, {}};
      return failed("must be true, false, 1 or 0, got " + quote_for_message(text));
    }
    case Kind::string_list: {
      std::vector<std::string> items;
      while (!text.empty()) {
        const auto comma = text.find(',');
        const auto item = trim(text.substr(0, comma));
        if (!item.empty()) items.emplace_back(item);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
      }
      return {Value{std::move(items)}, {}};
    }
    default:
      return value_from_text(setting, text);
  }
}

std::string_view kind_description(Kind kind) {
  switch (kind) {
    case Kind::string:
    case Kind::choice:
      return "a string";
    case Kind::path:
    case Kind::optional_path:
      return "a path string";
    case Kind::duration:
      return "a duration string like \"30s\" or \"1h30m\"";
    case Kind::size:
      return "a size like \"1MiB\" or a byte count";
    case Kind::integer:
      return "an integer";
    case Kind::boolean:
      return "true or false";
    case Kind::string_list:
      return "an array of strings";
  }
  return "a value";
}

std::string_view to_string(StoreKind value) {
  return name_of(value);
}
std::string_view to_string(SameSite value) {
  return name_of(value);
}
std::string_view to_string(LogFormat value) {
  return name_of(value);
}
std::string_view to_string(LogLevel value) {
  return name_of(value);
}

}  // namespace gatehouse::config
