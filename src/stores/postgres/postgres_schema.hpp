// Internal: the tables gatehouse keeps in its PostgreSQL schema, their migrations, and the
// statements the store prepares on every connection.
#pragma once

#include "stores/postgres/postgres_libpq.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gatehouse::postgres {

// One per store operation (filters have one per index they use). Parameters: $1 is always the
// partition.
enum class Statement : std::uint8_t {
  get,                // $2 key
  by_subject,         // $2 subject
  by_sid,             // $2 session id
  by_both,            // $2 subject, $3 session id
  page,               // $2 after (exclusive), $3 limit
  insert,             // $2 key … $8 ticket
  update,             // $2 key … $8 ticket, $9 expected version or NULL -> (updated, exists)
  remove,             // $2 key
  remove_by_subject,  // $2 subject
  remove_by_sid,      // $2 session id
  remove_by_both,     // $2 subject, $3 session id
  remove_expired,     // $2 now (ms), $3 batch size
  remove_expired_returning,  // the same -> (key, subject, session id, expires) of each removed
};
inline constexpr std::size_t statement_count = 13;

// The store operation a statement serves, for messages: "get_user_session", …
const char* operation_of(Statement s);

struct StatementText {
  std::string name;  // of the prepared statement
  std::string sql;
  std::vector<Oid> types;
};

// The statements over the tables in `quoted_schema` (already quoted by PQescapeIdentifier),
// indexed by Statement.
std::vector<StatementText> make_statements(const std::string& quoted_schema);

// `schema` quoted as an SQL identifier (PQescapeIdentifier). Throws StoreOpenError.
std::string quote_identifier(PGconn* c, const std::string& schema);

enum class SchemaAction { up_to_date, created, migrated };

// Checks the schema on an idle connection, creating or migrating it (in one transaction, under
// an advisory lock) when `migrate`. Throws StoreOpenError naming `where` and the problem: corrupt
// (tables that are not gatehouse's), unsupported_version (newer), unavailable (missing or old
// without `migrate`: "run `gatehouse migrate`"; or the server refused).
SchemaAction prepare_schema(PGconn* c, const std::string& schema, bool migrate,
                            const std::string& where);

}  // namespace gatehouse::postgres
