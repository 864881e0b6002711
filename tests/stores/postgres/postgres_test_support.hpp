// Helpers of the PostgreSQL store's tests: a schema of each test's own on the process's server,
// a session held open on it (locks), and the error a store throws when it cannot open.
#pragma once

#include <gatehouse/stores/postgres_user_session_store.hpp>

#include "support/postgres_server.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <unistd.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>

namespace gatehouse::testing {

// A schema name no other test of this server has used: tests never see each other's sessions.
inline std::string fresh_schema() {
  static std::atomic<int> counter{0};
  return "t" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

inline PostgresStoreOptions options_for(const std::string& schema,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(2),
                                        std::string url = PostgresServer::shared().url()) {
  return {.url = std::move(url), .timeout = timeout, .schema = schema};
}

inline StoreErrc open_error(const PostgresStoreOptions& options, std::string* what = nullptr) {
  try {
    open_postgres_session_database(options);
  } catch (const StoreOpenError& e) {
    if (what) *what = e.what();
    return static_cast<StoreErrc>(e.code().value());
  }
  ADD_FAILURE() << "the store opened";
  return StoreErrc{};
}

// A session of its own on the server, held open (to keep locks while the store works).
class PostgresSession {
 public:
  explicit PostgresSession(const std::string& url) : c_(PQconnectdb(url.c_str()), &PQfinish) {
    if (PQstatus(c_.get()) != CONNECTION_OK)
      throw std::runtime_error(std::string("cannot connect: ") + PQerrorMessage(c_.get()));
  }
  // Runs `sql`; true when the server accepted it.
  bool exec(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c_.get(), sql.c_str()), &PQclear);
    const auto status = PQresultStatus(r.get());
    EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        << sql << ": " << PQresultErrorMessage(r.get());
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  }

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> c_;
};

}  // namespace gatehouse::testing
