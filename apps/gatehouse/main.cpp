// gatehouse: the BFF security gateway's command line.
#include "bff/gateway.hpp"
#include "config/config.hpp"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "gatehouse: a Backend-for-Frontend security gateway (OpenID Connect login, "
      "server-side sessions, an HttpOnly cookie for the browser)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("gatehouse 0.1.0"));
  std::string file;

  auto* serve = app.add_subcommand("serve", "run the gateway until SIGINT/SIGTERM");
  serve
      ->add_option("-c,--config", file,
                   "configuration file (TOML); GATEHOUSE_* variables override it")
      ->check(CLI::ExistingFile);
  auto* check = app.add_subcommand(
      "check-config", "validate the configuration, report every problem, exit non-zero on errors");
  check->add_option("-c,--config", file, "configuration file (TOML)")->check(CLI::ExistingFile);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  auto config = load(file);
  if (!config) return 2;
  if (*check) {
    std::cout << gatehouse::config::describe(*config) << "configuration OK\n";
    return 0;
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  try {
    gatehouse::bff::Gateway gateway(std::move(*config));
    return gateway.run();
  } catch (const gatehouse::bff::StartupError& e) {
    std::cerr << "gatehouse: cannot start: " << e.what() << "\n";
    return 1;
  }
}
