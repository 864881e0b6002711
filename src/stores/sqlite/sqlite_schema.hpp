// Internal: creates and migrates the session schema; refuses foreign and newer databases.
#pragma once

#include "stores/sqlite/sqlite_connection.hpp"

#include <string>

namespace gatehouse::sqlite {

// Puts the database into WAL mode and brings the schema to sqlite_schema_version.
// Throws StoreOpenError naming `path` and the problem.
void prepare_database(Connection& writer, const std::string& path);

}  // namespace gatehouse::sqlite
