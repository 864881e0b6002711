#include "admin_commands.hpp"

#include <gatehouse/bff_builder.hpp>

#include "admin/session_json.hpp"
#include "crypto/key_ring.hpp"
#include "stores/configured_store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace gatehouse::cli {
namespace {

constexpr int exit_usage = 2;
constexpr int exit_failure = 1;

// The configured store, through the builder like the gateway's; null (and a message) when it
// cannot be opened or lives only inside a gateway process.
std::optional<BffServices> open_store(const config::Config& c) {
  if (!stores::is_shared_between_processes(c.session.store)) {
    std::cerr << "gatehouse: session commands need a persistent store; session.store is \""
              << config::to_string(c.session.store) << "\"\n";
    return std::nullopt;
  }
  try {
    BffBuilder builder;
    builder.partition(c.session.partition);
    stores::add_configured_store(builder, c.session);
    return builder.build();
  } catch (const StoreOpenError& e) {
    std::cerr << "gatehouse: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "gatehouse: session store: " << e.what() << "\n";
  }
  return std::nullopt;
}

template <class T>
T wait(boost::asio::io_context& io, boost::asio::awaitable<T> operation) {
  auto result = boost::asio::co_spawn(io, std::move(operation), boost::asio::use_future);
  io.run();
  return result.get();
}

bool has_filter(const SessionSelection& s) {
  return s.subject_id || s.session_id;
}

// Prints sessions as they arrive, so a long listing never has to fit in memory: a table with a
// header and a count, or one JSON array with a session per line.
class SessionPrinter {
 public:
  explicit SessionPrinter(const std::string& format) : json_(format == "json") {}

  void print(const UserSession& s) {
    begin();
    if (json_) {
      const auto line = boost::json::serialize(admin::session_json(s, now_));
      std::printf("%s%s", count_ == 0 ? "\n" : ",\n", line.c_str());
    } else {
      std::printf(
          "%-12s  %-24s  %-24s  %-20s  %-20s  %-20s\n", admin::operator_session_id(s.key).c_str(),
          s.subject_id.c_str(), s.session_id.value_or("-").c_str(), format_utc(s.created).c_str(),
          format_utc(s.renewed).c_str(), s.expires ? format_utc(*s.expires).c_str() : "never");
    }
    ++count_;
  }

  // Ends the output; until then (a failure part-way) the JSON lacks its closing bracket, so a
  // cut listing can never pass for a complete one.
  void finish() {
    begin();
    if (json_)
      std::printf("%s]\n", count_ == 0 ? "" : "\n");
    else
      std::printf("%zu session(s)\n", count_);
    std::fflush(stdout);
  }

  std::size_t count() const { return count_; }

 private:
  void begin() {
    if (started_) return;
    started_ = true;
    if (json_)
      std::printf("[");
    else
      std::printf("%-12s  %-24s  %-24s  %-20s  %-20s  %-20s\n", "ID", "SUBJECT", "SID", "CREATED",
                  "RENEWED", "EXPIRES");
  }

  bool json_;
  bool started_ = false;
  std::size_t count_ = 0;
  Timestamp now_ = system_now();
};

void say_cut(std::size_t limit) {
  std::cerr << "gatehouse: output cut after " << limit
            << " session(s) (--limit); more sessions exist\n";
}

// Every session of the partition, a page at a time, each page printed before the next is read.
boost::asio::awaitable<int> list_every_session(UserSessionStoreListing& store, SessionPrinter& out,
                                               std::optional<std::size_t> limit) {
  constexpr auto max_limit = UserSessionPageRequest::max_limit;
  UserSessionPageRequest page{.limit = max_limit};
  for (;;) {
    if (limit) page.limit = std::min(max_limit, *limit - out.count());
    auto found = co_await store.list_user_sessions(page);
    if (!found) {
      std::fflush(stdout);
      std::cerr << "gatehouse: cannot read sessions: " << found.error().message() << "\n";
      co_return exit_failure;
    }
    for (const auto& s : found->sessions) out.print(s);
    std::fflush(stdout);
    if (!found->next) break;
    if (limit && out.count() >= *limit) {
      out.finish();
      say_cut(*limit);
      co_return 0;
    }
    page.after = std::move(found->next);
  }
  out.finish();
  co_return 0;
}

}  // namespace

int sessions_list(const config::Config& config, const SessionSelection& selection) {
  auto services = open_store(config);
  if (!services) return exit_failure;
  boost::asio::io_context io;
  SessionPrinter out(selection.format);
  if (!has_filter(selection)) {
    if (!services->listing) {
      std::cerr << "gatehouse: this session store cannot list every session; filter by --sub or "
                   "--sid\n";
      return exit_usage;
    }
    return wait(io, list_every_session(*services->listing, out, selection.limit));
  }
  UserSessionsFilter filter{selection.subject_id, selection.session_id};
  auto found = wait(io, services->store->get_user_sessions(filter));
  if (!found) {
    std::cerr << "gatehouse: cannot read sessions: " << found.error().message() << "\n";
    return exit_failure;
  }
  const bool cut = selection.limit && found->size() > *selection.limit;
  if (cut) found->resize(*selection.limit);
  for (const auto& s : *found) out.print(s);
  out.finish();
  if (cut) say_cut(*selection.limit);
  return 0;
}

int sessions_revoke(const config::Config& config, const SessionSelection& selection) {
  if (has_filter(selection) == selection.all_expired) {
    std::cerr << "gatehouse: sessions revoke needs exactly one of --sub, --sid, --all-expired\n";
    return exit_usage;
  }
  if (selection.all_expired) return sessions_cleanup(config);
  auto services = open_store(config);
  if (!services) return exit_failure;
  boost::asio::io_context io;
  UserSessionsFilter filter{selection.subject_id, selection.session_id};
  auto removed = wait(io, services->store->delete_user_sessions(filter));
  if (!removed) {
    std::cerr << "gatehouse: cannot revoke sessions: " << removed.error().message() << "\n";
    return exit_failure;
  }
  std::printf("revoked %zu session(s)\n", *removed);
  return 0;
}

int sessions_cleanup(const config::Config& config) {
  auto services = open_store(config);
  if (!services) return exit_failure;
  if (!services->cleanup) {
    std::cerr << "gatehouse: this session store has no cleanup of expired sessions\n";
    return exit_failure;
  }
  boost::asio::io_context io;
  const bool terminal = isatty(STDERR_FILENO) == 1;
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  boost::asio::steady_timer ticker(io);
  bool finished = false;
  std::function<void()> tick = [&] {
    // On a terminal, show that the (possibly long) cleanup is alive.
    if (finished || !terminal) return;
    std::fprintf(stderr, "\rremoving expired sessions... %.0f s", elapsed());
    ticker.expires_after(std::chrono::milliseconds(500));
    ticker.async_wait([&](boost::system::error_code ec) {
      if (!ec) tick();
    });
  };
  tick();
  auto cleanup = [&]() -> boost::asio::awaitable<StoreResult<std::size_t>> {
    DeleteExpiredOptions options{.batch_size =
                                     static_cast<std::size_t>(config.session.cleanup_batch)};
    auto r = co_await services->cleanup->delete_expired_sessions(options);
    finished = true;
    ticker.cancel();
    co_return r;
  };
  auto removed = wait(io, cleanup());
  if (terminal) std::fprintf(stderr, "\r\033[K");
  if (!removed) {
    std::cerr << "gatehouse: cleanup failed: " << removed.error().message() << "\n";
    return exit_failure;
  }
  std::printf("removed %zu expired session(s) in %.2f s\n", *removed, elapsed());
  return 0;
}

int keys_rotate(const config::Config& config) {
  if (!std::filesystem::exists(config.keys.path)) {
    std::cerr << "gatehouse: keys.path: no key ring at " << config.keys.path
              << " (gatehouse serve creates it on first start)\n";
    return exit_failure;
  }
  try {
    auto ring = crypto::KeyRing::load_or_create(config.keys.path);
    ring.rotate();
    std::printf("rotated: new sessions are sealed with key %s; %zu key(s) still open older ones\n",
                ring.active_kid().c_str(), ring.size());
    std::printf("restart running gateways to pick up the new key\n");
    return 0;
  } catch (const crypto::KeyRingError& e) {
    std::cerr << "gatehouse: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace gatehouse::cli
