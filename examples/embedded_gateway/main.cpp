// An application that embeds the whole gateway and keeps sessions in a store of its own.
// Usage: embedded_gateway CONFIG.toml   (the same file `gatehouse serve` takes)
#include "map_user_session_store.hpp"

#include <gatehouse/config/config.hpp>
#include <gatehouse/gateway.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: embedded_gateway CONFIG.toml\n";
    return 2;
  }
  auto loaded = gatehouse::config::load_config(std::filesystem::path(argv[1]),
                                               gatehouse::config::process_environment());
  for (const auto& e : loaded.errors) std::cerr << "error: " << e.to_string() << "\n";
  if (!loaded.ok()) return 2;

  // One builder call registers the application's store; [session] store in the file is ignored.
  gatehouse::BffBuilder builder;
  builder.add_server_side_sessions<example::MapUserSessionStore>(
      std::make_shared<example::MapBackend>());
  // An endpoint of the application's own, behind the gateway's session and X-CSRF checks: it
  // gets the user's claims and a fresh access token to call further APIs with.
  builder.add_local_api("/local/whoami",
                        [](gatehouse::LocalApiRequest request)
                            -> boost::asio::awaitable<gatehouse::LocalApiResponse> {
                          co_return gatehouse::LocalApiResponse{
                              200, {{"Content-Type", "application/json"}}, request.claims_json};
                        });
  try {
    gatehouse::bff::Gateway gateway(std::move(*loaded.config), std::move(builder));
    return gateway.run();
  } catch (const gatehouse::bff::StartupError& e) {
    std::cerr << "cannot start: " << e.what() << "\n";
    return 1;
  }
}
