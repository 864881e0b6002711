#include "stores/redis/redis_layout.hpp"

#include <algorithm>
#include <charconv>

namespace gatehouse::redis {
namespace {

std::int64_t millis(Timestamp t) {
  return t.time_since_epoch().count();
}

boost::system::error_code corrupt() {
  return make_error_code(StoreErrc::corrupt);
}

bool plain_partition_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-._~/").find(c) != std::string_view::npos;
}

}  // namespace

bool valid_prefix(std::string_view prefix) {
  return !prefix.empty() && prefix.size() <= max_prefix &&
         std::none_of(prefix.begin(), prefix.end(), [](char c) {
           return c == '{' || c == '}' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
         });
}

std::string partition_base(std::string_view prefix, std::string_view partition) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string base(prefix);
  base += ":{=";
  for (const char c : partition) {
    if (plain_partition_char(c)) {
      base += c;
    } else {
      const auto b = static_cast<unsigned char>(c);
      base += '%';
      base += hex[b >> 4];
      base += hex[b & 15];
    }
  }
  base += "}:";
  return base;
}

std::string session_key(std::string_view base, std::string_view key) {
  std::string out(base);
  out += "s:";
  out += key;
  return out;
}

void append_session_arguments(std::vector<std::string>& args, const SessionFields& session,
                              Timestamp now) {
  args.emplace_back(session.subject_id);
  args.push_back(session.session_id.value_or(""));
  args.push_back(std::to_string(millis(session.created)));
  args.push_back(std::to_string(millis(session.renewed)));
  args.push_back(session.expires ? std::to_string(millis(*session.expires)) : "");
  args.emplace_back(session.ticket);
  if (session.expires) {
    const auto ttl = (*session.expires - now) + expiry_grace;
    args.push_back(std::to_string(std::max<std::int64_t>(1, ttl.count())));
  } else {
    args.emplace_back();
  }
}

StoreResult<std::optional<UserSession>> decode_session(std::string key, Reply fields,
                                                       const std::string& partition) {
  if (fields.type != Reply::Type::array || fields.elements.size() % 2 != 0) return corrupt();
  if (fields.elements.empty()) return std::optional<UserSession>();
  UserSession s;
  s.key = std::move(key);
  s.partition_key = partition;
  bool have_sub = false, have_created = false, have_renewed = false, have_ticket = false;
  for (std::size_t i = 0; i < fields.elements.size(); i += 2) {
    const auto& name = fields.elements[i];
    auto& value = fields.elements[i + 1];
    if (name.type != Reply::Type::string || value.type != Reply::Type::string) return corrupt();
    const auto& f = name.text;
    auto& v = value.text;  // moved out: `fields` is this function's own
    if (f == "sub") {
      s.subject_id = std::move(v);
      have_sub = true;
    } else if (f == "sid") {
      s.session_id = std::move(v);
    } else if (f == "tk") {
      s.ticket = std::move(v);
      have_ticket = true;
    } else if (f == "v") {
      const auto version = parse_number<std::uint64_t>(v);
      if (!version || *version == 0) return corrupt();
      s.version = *version;
    } else if (f == "cr" || f == "rn" || f == "ex") {
      const auto ms = parse_number<std::int64_t>(v);
      if (!ms) return corrupt();
      const Timestamp t{std::chrono::milliseconds(*ms)};
      if (f == "cr") {
        s.created = t;
        have_created = true;
      } else if (f == "rn") {
        s.renewed = t;
        have_renewed = true;
      } else {
        s.expires = t;
      }
    }  // fields a later version may add are ignored
  }
  if (!have_sub || !have_created || !have_renewed || !have_ticket || s.version == 0)
    return corrupt();
  return std::optional<UserSession>(std::move(s));
}

StoreResult<std::vector<UserSession>> decode_sessions(Reply pairs, const std::string& partition) {
  if (pairs.type != Reply::Type::array || pairs.elements.size() % 2 != 0) return corrupt();
  std::vector<UserSession> out;
  out.reserve(pairs.elements.size() / 2);
  for (std::size_t i = 0; i < pairs.elements.size(); i += 2) {
    if (pairs.elements[i].type != Reply::Type::string) return corrupt();
    auto session = decode_session(std::move(pairs.elements[i].text),
                                  std::move(pairs.elements[i + 1]), partition);
    if (!session) return session.error();
    if (!*session) return corrupt();  // the scripts return only sessions that exist
    out.push_back(std::move(**session));
  }
  return out;
}

StoreResult<std::vector<ExpiredSession>> decode_expired(Reply rows) {
  if (rows.type != Reply::Type::array || rows.elements.size() % 4 != 0) return corrupt();
  std::vector<ExpiredSession> out;
  out.reserve(rows.elements.size() / 4);
  for (std::size_t i = 0; i < rows.elements.size(); i += 4) {
    for (std::size_t f = i; f < i + 4; ++f)
      if (rows.elements[f].type != Reply::Type::string) return corrupt();
    const auto& ex = rows.elements[i + 3].text;
    auto ms = parse_number<std::int64_t>(ex);
    if (!ms) {
      // A score: Redis may print it as a double ("1.8e+12").
      double score = 0;
      const auto [end, ec] = std::from_chars(ex.data(), ex.data() + ex.size(), score);
      if (ex.empty() || ec != std::errc{} || end != ex.data() + ex.size() || !(score >= -9e15) ||
          !(score <= 9e15))
        return corrupt();
      ms = static_cast<std::int64_t>(score);
    }
    ExpiredSession& s = out.emplace_back();
    s.key = std::move(rows.elements[i].text);
    s.subject_id = std::move(rows.elements[i + 1].text);
    if (!rows.elements[i + 2].text.empty()) s.session_id = std::move(rows.elements[i + 2].text);
    s.expires = Timestamp(std::chrono::milliseconds(*ms));
  }
  return out;
}

}  // namespace gatehouse::redis
