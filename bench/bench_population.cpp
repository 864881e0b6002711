#include "bench_population.hpp"

#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace gatehouse::bench {

std::size_t ticket_bytes() {
  static const std::size_t bytes = [] {
    const char* env = std::getenv("GATEHOUSE_BENCH_TICKET_BYTES");
    return env ? std::stoul(env) : std::size_t{2048};
  }();
  return bytes;
}

UserSession session_at(std::uint64_t i, Timestamp now) {
  UserSession s;
  s.key = "key-" + std::to_string(i);
  s.subject_id = "user-" + std::to_string(i / 2);
  s.session_id = "sid-" + std::to_string(i);
  s.created = s.renewed = now;
  s.expires = now + std::chrono::hours(24 * 365 * 10);  // alive for as long as the data is kept
  s.ticket.assign(ticket_bytes(), static_cast<char>('A' + i % 26));
  return s;
}

sqlite3* open_raw(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db));
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr,
               nullptr);
  sqlite3_busy_timeout(db, 5000);
  return db;
}

void bulk_insert(sqlite3* db, std::uint64_t first, std::uint64_t count, Timestamp now,
                 std::int64_t expires_offset_ms) {
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO user_sessions (partition_key, key, subject_id, session_id, "
                     "created, renewed, expires, ticket) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                     -1, &stmt, nullptr);
  sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  for (std::uint64_t i = first; i < first + count; ++i) {
    auto s = session_at(i, now);
    const auto ms = now.time_since_epoch().count();
    sqlite3_bind_text(stmt, 1, partition, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, s.key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 3, s.subject_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 4, s.session_id->c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 5, ms);
    sqlite3_bind_int64(stmt, 6, ms);
    sqlite3_bind_int64(stmt, 7, ms + expires_offset_ms);
    sqlite3_bind_blob(stmt, 8, s.ticket.data(), static_cast<int>(s.ticket.size()),
                      SQLITE_TRANSIENT);
    if (sqlite3_step(stmt) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db));
    sqlite3_reset(stmt);
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_finalize(stmt);
}

std::string populated_database(std::size_t count) {
  const char* dir_env = std::getenv("GATEHOUSE_BENCH_DIR");
  std::filesystem::path dir = dir_env ? dir_env : "bench-data";
  std::filesystem::create_directories(dir);
  const std::string tickets = ticket_bytes() == 2048 ? "" : "-t" + std::to_string(ticket_bytes());
  const auto path = (dir / ("sessions-v" + std::to_string(sqlite_schema_version) + "b-" +
                            std::to_string(count) + tickets + ".db"))
                        .string();
  const auto done_marker = path + ".complete";
  if (std::filesystem::exists(done_marker)) return path;
  std::filesystem::remove(path);
  { SqliteUserSessionStore schema({.path = path, .partition = partition}); }
  sqlite3* db = open_raw(path);
  const auto now = system_now();
  for (std::uint64_t first = 0; first < count; first += 100000)
    bulk_insert(db, first, std::min<std::uint64_t>(100000, count - first), now,
                std::chrono::milliseconds(std::chrono::hours(24 * 365)).count());
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::ofstream(done_marker) << count << "\n";
  return path;
}

}  // namespace gatehouse::bench
