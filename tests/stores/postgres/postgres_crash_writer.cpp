// Test helper for the kill -9 tests: creates sessions with 32 in flight on two threads and writes
// each key to stdout only once its create was acknowledged. A failed create (the server is down)
// is not fatal: the writer pauses briefly and goes on, so it writes through a server crash and
// its restart. Runs until killed.
#include <gatehouse/stores/postgres_user_session_store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>

namespace {

using gatehouse::PostgresUserSessionStore;

int keys_out = STDOUT_FILENO;

boost::asio::awaitable<void> lane(PostgresUserSessionStore& store, int number) {
  boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
  for (long i = 0;; ++i) {
    gatehouse::UserSession s{.key = "crash-" + std::to_string(number) + "-" + std::to_string(i),
                             .subject_id = "subject-" + std::to_string(i % 100)};
    s.created = s.renewed = gatehouse::system_now();
    s.expires = s.created + std::chrono::hours(1);
    s.ticket.assign(2048, static_cast<char>('a' + number % 26));
    if (auto r = co_await store.create_user_session(s); !r) {
      pause.expires_after(std::chrono::milliseconds(20));
      co_await pause.async_wait(boost::asio::use_awaitable);
      continue;
    }
    // One write(2) per line, so a kill never leaves half a key behind.
    const std::string line = s.key + "\n";
    if (::write(keys_out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(4);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: postgres_crash_writer URL SCHEMA\n");
    return 2;
  }
  // Keys alone on the original stdout; whatever the store logs goes to stderr.
  keys_out = dup(STDOUT_FILENO);
  dup2(STDERR_FILENO, STDOUT_FILENO);
  PostgresUserSessionStore store(
      {"crash", gatehouse::system_clock()},
      {.url = argv[1], .timeout = std::chrono::seconds(1), .schema = argv[2]});
  boost::asio::thread_pool threads(2);
  for (int number = 0; number < 32; ++number)
    boost::asio::co_spawn(threads, lane(store, number), boost::asio::detached);
  threads.join();
}
