#include "admin_commands.hpp"

#include <gatehouse/bff_builder.hpp>

#include "admin/session_json.hpp"
#include "audit/file_sink.hpp"
#include "bff/session_audit.hpp"
#include "crypto/key_ring.hpp"
#include "crypto/key_ring_file.hpp"
#include "stores/configured_store.hpp"
#include "tickets/expired_events.hpp"
#include "tickets/login_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <openssl/crypto.h>
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

// The audit file for an operator's command ([audit] file; the gateway's webhook is out of reach
// from here). Opened before the command acts: an action that cannot be audited is not taken.
// An empty optional inside means there is no audit file. `queue`: lines it holds for its writer.
std::optional<std::shared_ptr<audit::AuditFileSink>> open_cli_audit(const config::Config& c,
                                                                    std::size_t queue = 1024) {
  if (!c.audit.file) return std::shared_ptr<audit::AuditFileSink>{};
  try {
    return std::make_shared<audit::AuditFileSink>(audit::AuditFileOptions{*c.audit.file, queue});
  } catch (const std::exception& e) {
    std::cerr << "gatehouse: audit.file: " << e.what() << "; nothing was changed\n";
    return std::nullopt;
  }
}

// A command's events go to its audit file only (null without one), from the operator's uid.
std::shared_ptr<events::SessionEvents> cli_events(const config::Config& c,
                                                  std::shared_ptr<audit::AuditFileSink> sink) {
  if (!sink) return nullptr;
  auto fan = std::make_shared<events::SessionEvents>();
  fan->set_partition(c.session.partition);
  fan->subscribe(std::move(sink));
  return fan;
}

events::RequestOrigin cli_origin() {
  return {"", "gatehouse-cli uid=" + std::to_string(::getuid())};
}

// One admin_action event (actor admin) and, with `reason`, session_ended events for what it
// ended (a cleanup publishes its own as it goes); written before the sink goes.
void audit_cli_action(const config::Config& c, std::shared_ptr<audit::AuditFileSink> sink,
                      const char* action, const UserSessionsFilter* filter,
                      const tickets::EndedSessions& ended,
                      std::optional<events::EndReason> reason) {
  auto fan = cli_events(c, sink);
  if (!fan) return;
  const auto origin = cli_origin();
  auto event = fan->make(events::EventKind::admin_action, &origin);
  event.actor = events::Actor::admin;
  event.action = action;
  event.count = ended.count;
  if (filter) {
    event.subject = filter->subject_id.value_or("");
    event.sid = filter->session_id;
  }
  fan->publish(event);
  if (reason)
    bff::publish_ended(fan.get(), ended, filter ? *filter : UserSessionsFilter{}, *reason,
                       events::Actor::admin, &origin);
  sink->flush();
  if (sink->write_failures() > 0)
    std::cerr << "gatehouse: audit.file: the audit events could not be written\n";
}

// Prints sessions as they arrive, so a long listing never has to fit in memory: a table with a
// header and a count, or one JSON array with a session per line.
class SessionPrinter {
 public:
  // `ticket_keys` (may be null) opens the tickets for each session's device and address.
  SessionPrinter(const std::string& format, const crypto::KeyRing* ticket_keys)
      : json_(format == "json"), ticket_keys_(ticket_keys) {}

  void print(const UserSession& s) {
    begin();
    if (json_) {
      const auto line = boost::json::serialize(admin::session_json(s, now_, ticket_keys_));
      std::printf("%s%s", count_ == 0 ? "\n" : ",\n", line.c_str());
    } else {
      const auto client = ticket_keys_
                              ? tickets::sealed_login_client(*ticket_keys_, s.ticket, s.key)
                              : std::nullopt;
      std::printf("%-12s  %-24s  %-24s  %-20s  %-20s  %-20s  %-24s  %s\n",
                  admin::operator_session_id(s.key).c_str(), s.subject_id.c_str(),
                  s.session_id.value_or("-").c_str(), format_utc(s.created).c_str(),
                  format_utc(s.renewed).c_str(),
                  s.expires ? format_utc(*s.expires).c_str() : "never",
                  client && !client->device.empty() ? client->device.c_str() : "-",
                  client && !client->address.empty() ? client->address.c_str() : "-");
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
      std::printf("%-12s  %-24s  %-24s  %-20s  %-20s  %-20s  %-24s  %s\n", "ID", "SUBJECT", "SID",
                  "CREATED", "LAST SEEN", "EXPIRES", "DEVICE", "ADDRESS");
  }

  bool json_;
  const crypto::KeyRing* ticket_keys_;
  bool started_ = false;
  std::size_t count_ = 0;
  Timestamp now_ = system_now();
};

// The key ring, read (never created or rewritten) to show each session's device and address;
// none, with a note, when it cannot be read: the listing still shows everything else.
std::optional<crypto::KeyRing> ticket_keys(const config::Config& config) {
  try {
    auto contents = crypto::read_key_ring_file(config.keys.path);
    if (!contents) return std::nullopt;  // no ring: no gateway has sealed a ticket with it
    auto ring = crypto::KeyRing::from_json(*contents, config.keys.path.string());
    OPENSSL_cleanse(contents->data(), contents->size());
    return ring;
  } catch (const crypto::KeyRingError& e) {
    std::cerr << "gatehouse: keys.path: " << e.what() << "; device and address are not shown\n";
  }
  return std::nullopt;
}

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
  const auto ring = ticket_keys(config);
  SessionPrinter out(selection.format, ring ? &*ring : nullptr);
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
  auto audit_file = open_cli_audit(config);
  if (!audit_file) return exit_failure;
  auto services = open_store(config);
  if (!services) return exit_failure;
  boost::asio::io_context io;
  UserSessionsFilter filter{selection.subject_id, selection.session_id};
  // Read first only when audited: the events name each session that ends.
  tickets::EndedSessions ended;
  if (*audit_file) {
    auto found = wait(io, services->store->get_user_sessions(filter));
    io.restart();
    if (found)
      for (auto& s : *found)
        ended.sessions.push_back(
            {std::move(s.key), std::move(s.subject_id), std::move(s.session_id)});
  }
  auto removed = wait(io, services->store->delete_user_sessions(filter));
  if (!removed) {
    std::cerr << "gatehouse: cannot revoke sessions: " << removed.error().message() << "\n";
    return exit_failure;
  }
  ended.count = *removed;
  audit_cli_action(config, *audit_file, "revoke", &filter, ended, events::EndReason::admin);
  std::printf("revoked %zu session(s)\n", *removed);
  return 0;
}

int sessions_cleanup(const config::Config& config) {
  // Room for a whole batch's events: the cleanup waits for the file after each batch.
  const auto batch = static_cast<std::size_t>(config.session.cleanup_batch);
  auto audit_file = open_cli_audit(config, std::max<std::size_t>(1024, batch));
  if (!audit_file) return exit_failure;
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
  // One session_ended per session, written as each batch commits.
  const auto ended_events = cli_events(config, *audit_file);
  const auto origin = cli_origin();
  auto cleanup = [&]() -> boost::asio::awaitable<StoreResult<std::size_t>> {
    DeleteExpiredOptions options{.batch_size = batch};
    if (ended_events)
      options.on_removed = [&](std::span<const ExpiredSession> removed) {
        tickets::publish_expired(ended_events.get(), removed, events::Actor::admin, &origin);
        // This command is its io_context's only user: waiting here paces the cleanup to the
        // file, so no event is dropped.
        (*audit_file)->flush();
      };
    auto r = co_await services->cleanup->delete_expired_sessions(std::move(options));
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
  tickets::EndedSessions ended;
  ended.count = *removed;
  audit_cli_action(config, *audit_file, "cleanup", nullptr, ended, std::nullopt);
  std::printf("removed %zu expired session(s) in %.2f s\n", *removed, elapsed());
  return 0;
}

namespace {

// The ring at keys.path, or nullopt (and a message) when there is none or it is unusable; never
// creates one (that is serve's job, and a typo in --config must not make a fresh ring).
std::optional<crypto::KeyRing> existing_ring(const config::Config& config) {
  if (!std::filesystem::exists(config.keys.path)) {
    std::cerr << "gatehouse: keys.path: no key ring at " << config.keys.path
              << " (gatehouse serve creates it on first start)\n";
    return std::nullopt;
  }
  try {
    return crypto::KeyRing::load_or_create(config.keys.path);
  } catch (const crypto::KeyRingError& e) {
    std::cerr << "gatehouse: " << e.what() << "\n";
    return std::nullopt;
  }
}

std::string utc_time(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  char out[32];
  if (!::gmtime_r(&t, &tm) || std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return std::to_string(unix_seconds);
  return out;
}

// What `keys retire` may echo back: a kid as the ring file allows them (1-64 printable ASCII).
bool looks_like_kid(const std::string& kid) {
  return !kid.empty() && kid.size() <= 64 &&
         std::all_of(kid.begin(), kid.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

constexpr const char* kRunningGateways =
    "running gateways re-read the file within a second (send SIGHUP to any whose keys.path is "
    "on a network filesystem)";

}  // namespace

int keys_rotate(const config::Config& config) {
  auto ring = existing_ring(config);
  if (!ring) return exit_failure;
  try {
    ring->rotate();
  } catch (const crypto::KeyRingError& e) {
    std::cerr << "gatehouse: " << e.what() << "\n";
    return exit_failure;
  }
  std::printf("rotated: new sessions are sealed with key %s; %zu key(s) still open older ones\n",
              ring->active_kid().c_str(), ring->size());
  std::printf("%s\n", kRunningGateways);
  return 0;
}

int keys_retire(const config::Config& config, const std::string& kid) {
  if (!looks_like_kid(kid)) {
    std::cerr << "gatehouse: keys retire: not a key id (1-64 printable characters); "
                 "see gatehouse keys list\n";
    return exit_usage;
  }
  auto ring = existing_ring(config);
  if (!ring) return exit_failure;
  crypto::KeyRing::RetireOutcome outcome{};
  try {
    outcome = ring->retire(kid);
  } catch (const crypto::KeyRingError& e) {
    std::cerr << "gatehouse: " << e.what() << "\n";
    return exit_failure;
  }
  switch (outcome) {
    case crypto::KeyRing::RetireOutcome::active_key:
      std::cerr << "gatehouse: keys retire: " << kid
                << " is the active key, which seals every new session; run gatehouse keys "
                   "rotate first, then retire it\n";
      return exit_usage;
    case crypto::KeyRing::RetireOutcome::unknown_kid: {
      std::string kids;
      for (const auto& k : ring->summary().keys) kids += (kids.empty() ? "" : ", ") + k.kid;
      std::cerr << "gatehouse: keys retire: no key " << kid << " in " << config.keys.path
                << " (its keys: " << kids << ")\n";
      return exit_usage;
    }
    case crypto::KeyRing::RetireOutcome::retired:
      break;
  }
  std::printf("retired key %s: sessions sealed with it have ended; %zu key(s) left, active %s\n",
              kid.c_str(), ring->size(), ring->active_kid().c_str());
  std::printf("%s\n", kRunningGateways);
  return 0;
}

int keys_list(const config::Config& config) {
  // Read only: listing never upgrades or otherwise writes the file.
  std::optional<crypto::KeyRing> ring;
  try {
    auto contents = crypto::read_key_ring_file(config.keys.path);
    if (!contents) {
      std::cerr << "gatehouse: keys.path: no key ring at " << config.keys.path << "\n";
      return exit_failure;
    }
    ring = crypto::KeyRing::from_json(*contents, "key ring file " + config.keys.path.string());
    OPENSSL_cleanse(contents->data(), contents->size());
  } catch (const crypto::KeyRingError& e) {
    std::cerr << "gatehouse: " << e.what() << "\n";
    return exit_failure;
  }
  const auto summary = ring->summary();
  std::printf("%-20s %-22s %s\n", "KID", "CREATED", "ACTIVE");
  for (const auto& key : summary.keys)
    std::printf("%-20s %-22s %s\n", key.kid.c_str(), utc_time(key.created).c_str(),
                key.kid == summary.active ? "yes" : "");
  std::printf("%zu key(s)\n", summary.keys.size());
  return 0;
}

}  // namespace gatehouse::cli
