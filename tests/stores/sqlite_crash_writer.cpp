// Test helper for the kill -9 test: creates sessions as fast as it can with many in flight and
// writes each key to stdout only after its create was acknowledged. Runs until killed.
#include <gatehouse/stores/sqlite_user_session_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>

namespace {

boost::asio::awaitable<void> writer(gatehouse::SqliteUserSessionStore& store, int lane) {
  for (long i = 0;; ++i) {
    gatehouse::UserSession s;
    s.key = "crash-" + std::to_string(lane) + "-" + std::to_string(i);
    s.subject_id = "subject-" + std::to_string(i % 100);
    s.created = s.renewed = gatehouse::system_now();
    s.expires = s.created + std::chrono::hours(1);
    s.ticket.assign(2048, static_cast<char>('a' + lane % 26));
    auto r = co_await store.create_user_session(s);
    if (!r) {
      std::fprintf(stderr, "create failed: %s\n", r.error().message().c_str());
      _exit(3);
    }
    const std::string line = s.key + "\n";
    if (::write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      _exit(4);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: sqlite_crash_writer DATABASE\n");
    return 2;
  }
  gatehouse::SqliteUserSessionStore store({.path = argv[1], .partition = "crash"});
  boost::asio::io_context io;
  for (int lane = 0; lane < 32; ++lane)
    boost::asio::co_spawn(io, writer(store, lane), boost::asio::detached);
  io.run();
}
