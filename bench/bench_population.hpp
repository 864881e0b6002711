// Benchmark data: databases of N sessions (2 KiB tickets unless told), built once and kept on disk.
#pragma once

#include <gatehouse/session/user_session.hpp>

#include <cstdint>
#include <string>

struct sqlite3;

namespace gatehouse::bench {

// GATEHOUSE_BENCH_TICKET_BYTES, default 2048 (a v1 ticket's size; a v2 ticket of the dev
// provider's login is 955 bytes).
std::size_t ticket_bytes();
inline constexpr const char* partition = "bench";

// Session i: key "key-i", subject "user-(i/2)" (two sessions per user), sid "sid-i".
UserSession session_at(std::uint64_t i, Timestamp now);

// Path of a database file holding exactly `count` live sessions (built when missing).
std::string populated_database(std::size_t count);

// Inserts sessions [first, first + count) in one transaction on a raw connection.
void bulk_insert(sqlite3* db, std::uint64_t first, std::uint64_t count, Timestamp now,
                 std::int64_t expires_offset_ms);

// Opens a raw connection with the store's pragmas (WAL, synchronous=NORMAL).
sqlite3* open_raw(const std::string& path);

}  // namespace gatehouse::bench
