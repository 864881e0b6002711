// Internal: owners of libpq objects, the connection parameters, and the binary wire format of
// parameters and rows (every value travels in binary: no text escaping, no NUL truncation).
#pragma once

#include <gatehouse/session/store_error.hpp>

#include <libpq-fe.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::postgres {

struct ConnectionDeleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using ConnectionHandle = std::unique_ptr<PGconn, ConnectionDeleter>;

struct ResultDeleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// Type OIDs of the parameters gatehouse binds (pg_type.dat; stable since PostgreSQL 7).
inline constexpr Oid bytea_oid = 17;
inline constexpr Oid int8_oid = 20;
inline constexpr Oid text_oid = 25;

// What libpq is given to connect: gatehouse's defaults, then the operator's string, which
// overrides them (libpq keeps the last value of a repeated keyword).
class ConnectionParameters {
 public:
  // Throws StoreOpenError (invalid_argument) when libpq cannot parse `url`; the message never
  // repeats it (it may hold a password).
  ConnectionParameters(std::string url, std::chrono::milliseconds timeout);

  struct Arrays {
    std::array<const char*, 5> keywords;
    std::array<const char*, 5> values;
  };
  // Valid while this object lives; pass with expand_dbname = 1.
  Arrays arrays() const;
  // "PostgreSQL host:port/dbname" as far as the string and the environment say: for messages.
  const std::string& where() const { return where_; }

 private:
  std::string url_;
  std::string connect_timeout_;
  std::string tcp_user_timeout_;
  std::string where_;
};

// Connects with libpq's blocking API (when opening, and on the pool's side thread; never on the
// io thread), notices silenced. Throws StoreOpenError (unavailable) with libpq's reason.
ConnectionHandle connect_blocking(const ConnectionParameters& parameters);

// Drops the server's notices (libpq would print them on stderr).
void silence_notices(PGconn* c);

// Parameters of one statement, each in binary format.
class Params {
 public:
  Params& text(std::string value);  // text and bytea: the bytes themselves
  Params& text(std::optional<std::string> value);
  Params& int64(std::int64_t value);
  Params& int64(std::optional<std::int64_t> value);

  struct Arrays {
    int count;
    const char* const* values;
    const int* lengths;
    const int* formats;
  };
  // Valid until the next change.
  Arrays arrays();

 private:
  std::vector<std::optional<std::string>> values_;
  std::vector<const char*> pointers_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// Rows of a result in binary format.
class Rows {
 public:
  explicit Rows(const PGresult* result) : result_(result) {}

  int count() const { return PQntuples(result_); }
  bool is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
  std::string text(int row, int column) const;  // text and bytea
  // Throws boost::system::system_error (unavailable) for a value that is not an int8.
  std::int64_t int64(int row, int column) const;
  // How many rows an INSERT, UPDATE or DELETE touched.
  std::size_t affected() const;

 private:
  const PGresult* result_;
};

// The outcome of a result that is not a success, by its SQLSTATE (never by its message): unique
// violation -> conflict; query cancelled -> cancelled when gatehouse asked for it; text the
// database cannot store -> invalid_argument; anything else -> unavailable.
boost::system::error_code error_of(const PGresult* result, bool cancel_requested);

// libpq's message on one line, without its trailing newline.
std::string one_line(const char* message);

}  // namespace gatehouse::postgres
