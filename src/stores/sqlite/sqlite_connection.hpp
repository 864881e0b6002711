// Internal: a thin RAII layer over one sqlite3 connection with a prepared-statement cache and
// mapping of SQLite result codes to StoreErrc.
#pragma once

#include <gatehouse/session/store_error.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace gatehouse::sqlite {

// Maps an SQLite (extended) result code to the store's typed outcomes.
boost::system::error_code to_store_error(int sqlite_code) noexcept;

class Statement;

class Connection {
 public:
  enum class Mode { read_write_create, read_only };

  // Throws StoreOpenError naming `path` when the file cannot be opened.
  Connection(const std::string& path, Mode mode, int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs statements without results; returns the SQLite result code.
  int exec(const char* sql) noexcept;
  // A cached prepared statement; `sql` must be a string with static storage.
  Statement& cached(const char* sql);
  std::string last_error() const;
  bool in_transaction() const noexcept;
  sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, std::unique_ptr<Statement>> cache_;
};

// A prepared statement. Bind, step, read columns; reset() before the next use (Use does it).
class Statement {
 public:
  Statement(sqlite3* db, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int index, std::string_view text);
  void bind_blob(int index, std::string_view bytes);
  void bind(int index, std::int64_t value);
  void bind_null(int index);
  void bind(int index, const std::optional<std::string>& text);
  void bind(int index, const std::optional<std::int64_t>& value);

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() noexcept;
  void reset() noexcept;

  bool is_null(int column) const noexcept;
  std::int64_t int64(int column) const noexcept;
  std::string text(int column) const;
  std::string blob(int column) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a cached statement when the scope ends, so it is always clean for the next user.
class Use {
 public:
  explicit Use(Statement& s) : s_(s) {}
  ~Use() { s_.reset(); }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  Statement* operator->() { return &s_; }
  Statement& operator*() { return s_; }

 private:
  Statement& s_;
};

}  // namespace gatehouse::sqlite
