#include "stores/postgres/postgres_libpq.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace gatehouse::postgres {
namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string first_of(std::initializer_list<std::string> candidates, std::string fallback) {
  for (const auto& c : candidates)
    if (!c.empty()) return c;
  return fallback;
}

}  // namespace

ConnectionParameters::ConnectionParameters(std::string url, std::chrono::milliseconds timeout)
    : url_(std::move(url)) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url_.c_str(), &error);
  if (!options) {
    PQfreemem(error);  // it quotes the string, and so perhaps its password
    throw StoreOpenError(make_error_code(StoreErrc::invalid_argument),
                         "session.postgres_url is not a libpq connection URI or key=value string");
  }
  auto value = [options](std::string_view keyword) -> std::string {
    for (auto* o = options; o->keyword; ++o)
      if (keyword == o->keyword && o->val) return o->val;
    return {};
  };
  // libpq's own defaults, so that a message names the server it tried.
  const auto host =
      first_of({value("host"), value("hostaddr"), environment("PGHOST")}, "the default socket");
  const auto port = first_of({value("port"), environment("PGPORT")}, "5432");
  const auto dbname =
      first_of({value("dbname"), environment("PGDATABASE"), value("user"), environment("PGUSER")},
               "the default database");
  PQconninfoFree(options);
  where_ = "PostgreSQL " + host + ":" + port + "/" + dbname;
  // libpq counts whole seconds, at least 2.
  connect_timeout_ = std::to_string(std::max<long long>(2, (timeout.count() + 999) / 1000));
  // Data the server never acknowledges (a dead peer) fails the connection within the timeout.
  tcp_user_timeout_ = std::to_string(timeout.count());
}

ConnectionParameters::Arrays ConnectionParameters::arrays() const {
  return {
      {"fallback_application_name", "connect_timeout", "tcp_user_timeout", "dbname", nullptr},
      {"gatehouse", connect_timeout_.c_str(), tcp_user_timeout_.c_str(), url_.c_str(), nullptr}};
}

void silence_notices(PGconn* c) {
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
}

ConnectionHandle connect_blocking(const ConnectionParameters& parameters) {
  const auto a = parameters.arrays();
  ConnectionHandle c(PQconnectdbParams(a.keywords.data(), a.values.data(), 1));
  if (!c || PQstatus(c.get()) != CONNECTION_OK)
    throw StoreOpenError(make_error_code(StoreErrc::unavailable),
                         "session database " + parameters.where() + ": cannot connect: " +
                             (c ? one_line(PQerrorMessage(c.get())) : "out of memory"));
  silence_notices(c.get());
  return c;
}

Params& Params::text(std::string value) {
  values_.emplace_back(std::move(value));
  return *this;
}

Params& Params::text(std::optional<std::string> value) {
  values_.push_back(std::move(value));
  return *this;
}

Params& Params::int64(std::int64_t value) {
  std::string bytes(8, '\0');
  const auto bits = static_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
  values_.emplace_back(std::move(bytes));
  return *this;
}

Params& Params::int64(std::optional<std::int64_t> value) {
  if (value) return int64(*value);
  values_.emplace_back();
  return *this;
}

Params::Arrays Params::arrays() {
  pointers_.clear();
  lengths_.clear();
  for (const auto& v : values_) {
    pointers_.push_back(v ? v->data() : nullptr);
    lengths_.push_back(v ? static_cast<int>(v->size()) : 0);
  }
  formats_.assign(values_.size(), 1);
  return {static_cast<int>(values_.size()), pointers_.data(), lengths_.data(), formats_.data()};
}

std::string Rows::text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<std::size_t>(PQgetlength(result_, row, column)));
}

std::int64_t Rows::int64(int row, int column) const {
  if (PQgetlength(result_, row, column) != 8)
    throw boost::system::system_error(make_error_code(StoreErrc::unavailable));
  const auto* bytes = reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, column));
  std::uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = (bits << 8) | bytes[i];
  return static_cast<std::int64_t>(bits);
}

std::size_t Rows::affected() const {
  const std::string_view tuples = PQcmdTuples(const_cast<PGresult*>(result_));
  std::size_t n = 0;
  std::from_chars(tuples.data(), tuples.data() + tuples.size(), n);
  return n;
}

boost::system::error_code error_of(const PGresult* result, bool cancel_requested) {
  const char* field = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string_view state = field ? field : "";
  if (state == "23505") return make_error_code(StoreErrc::conflict);  // unique_violation
  if (state == "57014" && cancel_requested)                           // query_canceled
    return make_error_code(StoreErrc::cancelled);
  // character_not_in_repertoire, untranslatable_character: e.g. a NUL byte in a text value.
  if (state == "22021" || state == "22P05") return make_error_code(StoreErrc::invalid_argument);
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  spdlog::warn("session store: PostgreSQL error {}: {}", state.empty() ? "?" : state,
               primary ? primary : one_line(PQresultErrorMessage(result)));
  return make_error_code(StoreErrc::unavailable);
}

std::string one_line(const char* message) {
  std::string out = message ? message : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

}  // namespace gatehouse::postgres
