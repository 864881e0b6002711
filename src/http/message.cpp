#include "http/message.hpp"

#include "http/cookie_lookup.hpp"

#include <algorithm>

namespace gatehouse::http {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    return lower(x) == lower(y);
  });
}

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::optional<Fields> parse_form(std::string_view body, std::size_t max_fields) {
  Fields fields;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const auto pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;  // "a=1&&b=2" is tolerated, as browsers never send it anyway
    if (fields.size() == max_fields) return std::nullopt;
    const auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    fields.emplace_back(std::move(*name), std::move(*value));
  }
  return fields;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

std::size_t Request::header_count(std::string_view name) const {
  return static_cast<std::size_t>(std::count_if(
      headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); }));
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  auto fields = parse_form(query);
  if (!fields) return std::nullopt;
  for (auto& [n, v] : *fields)
    if (n == name) return std::move(v);
  return std::nullopt;
}

std::size_t Request::query_param_count(std::string_view name) const {
  auto fields = parse_form(query);
  if (!fields) return 0;
  return static_cast<std::size_t>(std::count_if(fields->begin(), fields->end(),
                                                [&](const auto& f) { return f.first == name; }));
}

namespace {

// Calls `each(name, value)` for every cookie pair of every Cookie header, in order, until it
// returns true. Views into the request's headers; nothing allocated.
template <class Each>
void for_each_cookie(const Fields& headers, Each each) {
  for (const auto& [n, v] : headers) {
    if (!iequals(n, "cookie")) continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      const auto item = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      const auto eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) continue;  // not a cookie pair: ignore
      auto value = trim(item.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      if (each(trim(item.substr(0, eq)), value)) return;
    }
  }
}

}  // namespace

Fields Request::cookies() const {
  Fields out;
  for_each_cookie(headers, [&](std::string_view name, std::string_view value) {
    out.emplace_back(std::string(name), std::string(value));
    return false;
  });
  return out;
}

std::optional<std::string_view> find_cookie_value(const Request& request, std::string_view name) {
  std::optional<std::string_view> found;
  for_each_cookie(request.headers, [&](std::string_view n, std::string_view value) {
    if (n == name) found = value;
    return found.has_value();
  });
  return found;
}

void Response::set_header(std::string_view name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
  headers.emplace_back(std::string(name), std::move(value));
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

Response text(int status, std::string body) {
  Response r{.status = status, .body = std::move(body)};
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  return r;
}

Response json(int status, std::string body) {
  Response r{.status = status, .body = std::move(body)};
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

Response redirect(int status, std::string location) {
  Response r{.status = status};
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

}  // namespace gatehouse::http
