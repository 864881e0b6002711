// Test support: a real PostgreSQL server of the test process's own.
//
// Its data directory (copied from a template made once per build tree with initdb) and its unix
// socket directory live in a fresh directory (in /dev/shm when it has room, else the temp dir);
// it listens on a free loopback port. Running as root (CI), the server runs as the user `postgres`
// (or `nobody`), since PostgreSQL refuses root. The server is the test process's child; a watchdog
// process (its own session) stops it and removes the directory when the test process ends, however
// it ends: normally, by a failed assertion, by a crash or by kill -9.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace gatehouse::testing {

class PostgresServer {
 public:
  // Throws std::runtime_error with the server's log when it cannot start.
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The one server of this test process, started on first use.
  static PostgresServer& shared();

  int port() const { return port_; }
  // postgresql://postgres@127.0.0.1:PORT/DATABASE
  std::string url(const std::string& database = "postgres") const;
  // A database no other test has used; returns its URL.
  std::string create_database();
  // Runs `sql` (one or more statements) as the superuser; returns the last result's values,
  // columns joined by '|' and rows by ','. Throws std::runtime_error.
  std::string query(const std::string& sql, const std::string& database = "postgres") const;
  std::string query_url(const std::string& sql, const std::string& url) const;

  void start();      // on the same port and data (crash recovery after kill_hard)
  void stop();       // fast shutdown, waits until it is down
  void kill_hard();  // SIGKILL to the postmaster and every backend: a crash
  void pause();      // SIGSTOP to every server process: sockets stay open, nothing answers
  void resume();
  // Turns TLS on (a self-signed certificate for localhost and 127.0.0.1); returns the
  // certificate's path, to be trusted with sslrootcert.
  std::string enable_tls();

  const std::filesystem::path& directory() const { return root_; }
  std::string log_tail() const;

 private:
  void start_watchdog();
  bool start_on(int port);

  std::filesystem::path root_;
  std::filesystem::path data_;
  std::filesystem::path socket_;
  int port_ = 0;
  pid_t postmaster_ = -1;
  pid_t watchdog_ = -1;
  int watchdog_pipe_ = -1;
  bool paused_ = false;
};

}  // namespace gatehouse::testing
