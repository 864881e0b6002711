// gatehouse: the BFF security gateway's command line.
#include "admin_commands.hpp"
#include "bff/gateway.hpp"
#include "config/config.hpp"
#include "logging/line_sink.hpp"
#include "logging/log_format.hpp"
#include "session_transfer.hpp"
#include "stores/configured_store.hpp"

#include <gatehouse/session/store_error.hpp>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace {

using gatehouse::config::LoadResult;

std::optional<std::filesystem::path> config_path(const std::string& file) {
  if (file.empty()) return std::nullopt;
  return std::filesystem::path(file);
}

// Prints every problem; returns the configuration only when there was no error.
std::optional<gatehouse::config::Config> load(const std::string& file) {
  LoadResult result =
      gatehouse::config::load_config(config_path(file), gatehouse::config::process_environment());
  for (const auto& w : result.warnings) std::cerr << "warning: " << w.to_string() << "\n";
  for (const auto& e : result.errors) std::cerr << "error: " << e.to_string() << "\n";
  if (!result.ok())
    std::cerr << "gatehouse: configuration has " << result.errors.size() << " error(s)\n";
  return result.config;
}

// Each connection holds a file descriptor: a gateway with 10,000 idle keep-alive connections
// needs more than the usual soft limit of 1024. Raises the soft limit to the hard one (an
// unprivileged process may) and says so; an embedding program decides this for itself.
void raise_open_files_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur == limit.rlim_max) {
    spdlog::debug("open files: limit {} (already the hard limit)", limit.rlim_cur);
    return;
  }
  const rlim_t before = limit.rlim_cur;
  // Linux refuses an infinite soft limit for open files (fs.nr_open bounds it).
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0)
    spdlog::info("open files: soft limit raised from {} to {} (the hard limit)", before,
                 limit.rlim_cur);
  else
    spdlog::warn("open files: cannot raise the soft limit {} to {}: each connection needs one",
                 before, limit.rlim_cur);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "gatehouse: a Backend-for-Frontend security gateway (OpenID Connect login, "
      "server-side sessions, an HttpOnly cookie for the browser)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("gatehouse 0.1.0"));
  // Not checked here: the loader names every problem with the file (a loop, a FIFO, a device).
  std::string file;

  auto* serve = app.add_subcommand("serve", "run the gateway until SIGINT/SIGTERM");
  serve->add_option("-c,--config", file,
                    "configuration file (TOML); GATEHOUSE_* variables override it");
  auto* check = app.add_subcommand(
      "check-config", "validate the configuration, report every problem, exit non-zero on errors");
  check->add_option("-c,--config", file, "configuration file (TOML)");

  gatehouse::cli::SessionSelection selection;
  auto* sessions =
      app.add_subcommand("sessions", "list, revoke and clean up sessions in the store");
  sessions->require_subcommand(1);
  auto add_config = [&file](CLI::App* command) {
    command->add_option("-c,--config", file, "configuration file (TOML)");
  };
  auto* list = sessions->add_subcommand(
      "list", "every session of the partition, or only a subject's or a provider session's");
  add_config(list);
  list->add_option("--sub", selection.subject_id, "only this subject id (the provider's sub)");
  list->add_option("--sid", selection.session_id, "only this provider session id (sid)");
  list->add_option("--format", selection.format, "table or json (one JSON array)")
      ->check(CLI::IsMember({"table", "json"}));
  list->add_option("--limit", selection.limit,
                   "stop after N sessions (stderr says so when more exist)")
      ->check(CLI::Validator(
          [](const std::string& v) {
            const bool whole = !v.empty() && v.size() <= 18 &&
                               v.find_first_not_of("0123456789") == std::string::npos;
            return whole && v.find_first_not_of('0') != std::string::npos
                       ? std::string()
                       : "must be a whole number from 1 to 999999999999999999: " + v.substr(0, 40);
          },
          "N>=1"));
  auto* revoke = sessions->add_subcommand("revoke", "end sessions now, on every instance");
  add_config(revoke);
  auto* by_sub = revoke->add_option("--sub", selection.subject_id, "every session of this subject");
  auto* by_sid = revoke->add_option("--sid", selection.session_id, "the session of this sid");
  auto* expired = revoke->add_flag("--all-expired", selection.all_expired, "every expired session");
  by_sub->excludes(by_sid)->excludes(expired);
  by_sid->excludes(expired);
  auto* cleanup = sessions->add_subcommand("cleanup", "remove expired sessions now");
  add_config(cleanup);
  std::optional<std::string> out_path, in_path;
  auto* export_cmd = sessions->add_subcommand(
      "export", "every session of the partition as JSON lines (tickets stay sealed)");
  add_config(export_cmd);
  export_cmd->add_option("--out", out_path, "file to create (mode 0600); default: stdout");
  auto* import_cmd = sessions->add_subcommand(
      "import", "sessions from an export into the configured store (existing keys are kept)");
  add_config(import_cmd);
  import_cmd->add_option("--in", in_path, "file to read; default: stdin");
  auto* migrate = app.add_subcommand(
      "migrate", "create or migrate the session store's schema (PostgreSQL; SQLite on open)");
  add_config(migrate);
  auto* keys = app.add_subcommand("keys", "manage the key ring that seals session tickets");
  keys->require_subcommand(1);
  auto* rotate = keys->add_subcommand(
      "rotate",
      "add a new active key (and a new DPoP key); older keys still decrypt. Running gateways "
      "pick it up from keys.path without a restart");
  add_config(rotate);
  std::string retired_kid;
  auto* retire = keys->add_subcommand(
      "retire",
      "remove a key that is no longer the active one: sessions sealed with it END (they can no "
      "longer be opened, on every gateway, without a restart). Rotate first; to end nobody's "
      "session, wait session.max_lifetime after the rotation before retiring");
  add_config(retire);
  retire
      ->add_option("KID", retired_kid,
                   "the key id to remove (see keys list; one that starts with '-' goes after --)")
      ->required();
  auto* keys_list = keys->add_subcommand("list", "key ids, when they were made, the active one");
  add_config(keys_list);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints the message (or the help)
    return code == 0 ? 0 : 2;
  }

  auto config = load(file);
  if (!config) return 2;
  if (*list) return gatehouse::cli::sessions_list(*config, selection);
  if (*revoke) return gatehouse::cli::sessions_revoke(*config, selection);
  if (*cleanup) return gatehouse::cli::sessions_cleanup(*config);
  if (*export_cmd) return gatehouse::cli::sessions_export(*config, out_path);
  if (*import_cmd) return gatehouse::cli::sessions_import(*config, in_path);
  if (*rotate) return gatehouse::cli::keys_rotate(*config);
  if (*retire) return gatehouse::cli::keys_retire(*config, retired_kid);
  if (*keys_list) return gatehouse::cli::keys_list(*config);
  if (*migrate) {
    try {
      std::cout << gatehouse::stores::migrate_configured_store(config->session) << "\n";
      return 0;
    } catch (const gatehouse::StoreOpenError& e) {
      std::cerr << "gatehouse migrate: " << e.what() << "\n";
      return 1;
    }
  }
  if (*check) {
    std::cout << gatehouse::config::describe(*config) << "configuration OK\n";
    return 0;
  }
  gatehouse::logging::use_line_sink();
  gatehouse::logging::apply(config->log, isatty(STDERR_FILENO) == 1);
  raise_open_files_limit();
  try {
    gatehouse::bff::Gateway gateway(std::move(*config));
    const int code = gateway.run();
    spdlog::default_logger_raw()->flush();
    return code;
  } catch (const gatehouse::bff::StartupError& e) {
    std::cerr << "gatehouse: cannot start: " << e.what() << "\n";
    return 1;
  }
}
