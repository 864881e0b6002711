// gatehouse sessions export / import: every session of the partition as JSON lines, and back
// into whatever store the configuration names. Tickets stay sealed (their AEAD binds them to
// their store key, not to a store) and keys stay hashed, so the file is as useless to a thief as
// the database; the same key ring opens them after the move.
#include "session_transfer.hpp"

#include <gatehouse/bff_builder.hpp>
#include <gatehouse/session/user_session_validation.hpp>

#include "crypto/base64.hpp"
#include "stores/configured_store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

namespace gatehouse::cli {
namespace {

constexpr int exit_failure = 1;
constexpr std::string_view format_name = "gatehouse-sessions";
constexpr std::int64_t format_version = 1;
constexpr std::size_t max_line_bytes = 2 * 1024 * 1024;  // a ticket is at most 1 MiB, base64 4/3
constexpr std::size_t in_flight = 128;                   // creates awaiting their commit

std::optional<BffServices> open(const config::Config& c) {
  if (!stores::is_shared_between_processes(c.session.store)) {
    std::cerr << "gatehouse: sessions export/import need a persistent store; session.store is \""
              << config::to_string(c.session.store) << "\"\n";
    return std::nullopt;
  }
  try {
    BffBuilder builder;
    builder.partition(c.session.partition);
    stores::add_configured_store(builder, c.session);
    return builder.build();
  } catch (const std::exception& e) {
    std::cerr << "gatehouse: session store: " << e.what() << "\n";
    return std::nullopt;
  }
}

std::int64_t millis(Timestamp t) {
  return t.time_since_epoch().count();
}

boost::json::object to_json(const UserSession& s) {
  boost::json::object o;
  o["key"] = s.key;
  o["subject_id"] = s.subject_id;
  o["session_id"] = s.session_id ? boost::json::value(*s.session_id) : nullptr;
  o["created"] = millis(s.created);
  o["renewed"] = millis(s.renewed);
  o["expires"] = s.expires ? boost::json::value(millis(*s.expires)) : nullptr;
  o["ticket"] = crypto::base64url_encode(s.ticket);
  return o;
}

// A line of the file as a session; the reason when it is not one.
std::optional<UserSession> from_json(std::string_view line, std::string& why) {
  boost::system::error_code ec;
  boost::json::parse_options limits;
  limits.max_depth = 4;
  auto value = boost::json::parse(line, ec, {}, limits);
  if (ec || !value.is_object()) {
    why = "not a JSON object";
    return std::nullopt;
  }
  const auto& o = value.as_object();
  const auto text = [&](std::string_view name) -> const boost::json::string* {
    const auto* v = o.if_contains(name);
    return v && v->is_string() ? &v->as_string() : nullptr;
  };
  const auto integer = [&](std::string_view name) -> std::optional<std::int64_t> {
    const auto* v = o.if_contains(name);
    if (!v || !v->is_int64()) return std::nullopt;
    return v->as_int64();
  };
  UserSession s;
  const auto* key = text("key");
  const auto* subject = text("subject_id");
  const auto* ticket = text("ticket");
  const auto created = integer("created");
  const auto renewed = integer("renewed");
  if (!key || !subject || !ticket || !created || !renewed) {
    why = "key, subject_id, ticket, created and renewed are required";
    return std::nullopt;
  }
  s.key = std::string(*key);
  s.subject_id = std::string(*subject);
  if (const auto* sid = o.if_contains("session_id"); sid && !sid->is_null()) {
    if (!sid->is_string()) {
      why = "session_id must be a string or null";
      return std::nullopt;
    }
    s.session_id = std::string(sid->as_string());
  }
  s.created = Timestamp(std::chrono::milliseconds(*created));
  s.renewed = Timestamp(std::chrono::milliseconds(*renewed));
  if (const auto* e = o.if_contains("expires"); e && !e->is_null()) {
    if (!e->is_int64()) {
      why = "expires must be a number or null";
      return std::nullopt;
    }
    s.expires = Timestamp(std::chrono::milliseconds(e->as_int64()));
  }
  auto sealed = crypto::base64url_decode(*ticket);
  if (!sealed) {
    why = "ticket is not base64url";
    return std::nullopt;
  }
  s.ticket = std::move(*sealed);
  if (validate_new_session(s, {})) {
    why = "a field is empty or too long";
    return std::nullopt;
  }
  return s;
}

// A line on stderr that rewrites itself on a terminal, at most every 200 ms.
class Progress {
 public:
  explicit Progress(const char* verb) : verb_(verb), terminal_(isatty(STDERR_FILENO) == 1) {}
  void tick(std::size_t n) {
    if (!terminal_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    std::fprintf(stderr, "\r%s %zu session(s), %.0f/s", verb_, n, n / seconds());
  }
  void done() {
    if (terminal_) std::fprintf(stderr, "\r\033[K");
  }
  double seconds() const {
    return std::max(
        1e-3, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

 private:
  const char* verb_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

template <class T>
T wait(boost::asio::io_context& io, boost::asio::awaitable<T> operation) {
  auto result = boost::asio::co_spawn(io, std::move(operation), boost::asio::use_future);
  io.run();
  return result.get();
}

boost::asio::awaitable<int> export_all(UserSessionStoreListing& listing, std::FILE* out,
                                       const std::string& partition) {
  boost::json::object head;
  head["format"] = format_name;
  head["version"] = format_version;
  head["partition"] = partition;
  std::fprintf(out, "%s\n", boost::json::serialize(head).c_str());
  Progress progress("exported");
  std::size_t count = 0;
  UserSessionPageRequest page{.limit = UserSessionPageRequest::max_limit};
  for (;;) {
    auto found = co_await listing.list_user_sessions(page);
    if (!found) {
      progress.done();
      std::cerr << "gatehouse: export stopped after " << count
                << " session(s): " << found.error().message() << "\n";
      co_return exit_failure;
    }
    for (const auto& s : found->sessions)
      std::fprintf(out, "%s\n", boost::json::serialize(to_json(s)).c_str());
    count += found->sessions.size();
    progress.tick(count);
    if (!found->next) break;
    page.after = std::move(found->next);
  }
  progress.done();
  if (std::fflush(out) != 0) {
    std::cerr << "gatehouse: export: cannot write the output\n";
    co_return exit_failure;
  }
  std::fprintf(stderr, "exported %zu session(s) in %.1f s\n", count, progress.seconds());
  co_return 0;
}

struct ImportCounts {
  std::size_t imported = 0, existing = 0, failed = 0, pending = 0;
};

// One create, counted. A function, not a lambda: the coroutine outlives the loop iteration that
// starts it, and a lambda's captures would die with it.
boost::asio::awaitable<void> import_one(UserSessionStore& store,
                                        std::shared_ptr<ImportCounts> counts, UserSession session) {
  auto r = co_await store.create_user_session(std::move(session));
  if (r)
    ++counts->imported;
  else if (r.error() == StoreErrc::conflict)
    ++counts->existing;  // the key (or its provider session) is there already: keep it
  else
    ++counts->failed;
  --counts->pending;
}

boost::asio::awaitable<int> import_all(UserSessionStore& store, std::istream& in) {
  auto executor = co_await boost::asio::this_coro::executor;
  auto counts = std::make_shared<ImportCounts>();
  boost::asio::steady_timer wait_a_bit(executor);
  Progress progress("imported");
  std::string line;
  std::size_t number = 0;
  int result = 0;
  auto settle = [&](std::size_t allowed) -> boost::asio::awaitable<void> {
    while (counts->pending > allowed) {
      wait_a_bit.expires_after(std::chrono::milliseconds(1));
      co_await wait_a_bit.async_wait(boost::asio::use_awaitable);
    }
  };
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    if (line.size() > max_line_bytes) {
      std::cerr << "gatehouse: import: line " << number << " is longer than 2 MiB\n";
      result = exit_failure;
      break;
    }
    if (number == 1) {
      boost::system::error_code ec;
      auto head = boost::json::parse(line, ec);
      const auto* format = head.is_object() ? head.as_object().if_contains("format") : nullptr;
      if (ec || !format || !format->is_string() || format->as_string() != format_name) {
        std::cerr << "gatehouse: import: line 1 is not a gatehouse session export header\n";
        result = exit_failure;
        break;
      }
      continue;
    }
    std::string why;
    auto session = from_json(line, why);
    if (!session) {
      std::cerr << "gatehouse: import: line " << number << ": " << why << "\n";
      result = exit_failure;
      break;
    }
    co_await settle(in_flight - 1);
    ++counts->pending;
    boost::asio::co_spawn(executor, import_one(store, counts, std::move(*session)),
                          boost::asio::detached);
    progress.tick(counts->imported + counts->existing);
  }
  co_await settle(0);
  progress.done();
  std::fprintf(stderr, "imported %zu session(s), %zu already there, %zu failed, in %.1f s\n",
               counts->imported, counts->existing, counts->failed, progress.seconds());
  if (counts->failed > 0) {
    std::cerr << "gatehouse: import: the store refused " << counts->failed
              << " session(s); run the import again once it is healthy (present keys are "
                 "skipped)\n";
    result = exit_failure;
  }
  co_return result;
}

}  // namespace

int sessions_export(const config::Config& config, const std::optional<std::string>& out_path) {
  auto services = open(config);
  if (!services) return exit_failure;
  if (!services->listing) {
    std::cerr << "gatehouse: this session store cannot list every session, so it cannot export\n";
    return exit_failure;
  }
  std::FILE* out = stdout;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(nullptr, &std::fclose);
  if (out_path) {
    // Sealed tickets and hashed keys only, but still nobody else's business: 0600, never over
    // an existing file.
    const int fd = ::open(out_path->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      std::perror(("gatehouse: --out " + *out_path).c_str());
      return exit_failure;
    }
    file.reset(::fdopen(fd, "w"));
    out = file.get();
  }
  boost::asio::io_context io;
  return wait(io, export_all(*services->listing, out, config.session.partition));
}

int sessions_import(const config::Config& config, const std::optional<std::string>& in_path) {
  auto services = open(config);
  if (!services) return exit_failure;
  std::ifstream file;
  if (in_path) {
    file.open(*in_path);
    if (!file) {
      std::perror(("gatehouse: --in " + *in_path).c_str());
      return exit_failure;
    }
  }
  boost::asio::io_context io;
  return wait(io, import_all(*services->store, in_path ? file : std::cin));
}

}  // namespace gatehouse::cli
