// Registers the application's own store with one builder call and uses it.
#include "map_user_session_store.hpp"

#include <gatehouse/bff_builder.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

int main() {
  gatehouse::BffBuilder builder;
  builder.partition("example-app")
      .add_server_side_sessions<example::MapUserSessionStore>(
          std::make_shared<example::MapBackend>());
  auto services = builder.build();

  int status = 1;
  boost::asio::io_context io;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        gatehouse::UserSession session{.key = "hashed-handle", .subject_id = "alice"};
        session.created = session.renewed = gatehouse::system_now();
        if (auto r = co_await services.store->create_user_session(session); !r) {
          std::cerr << "create failed: " << r.error().message() << "\n";
          co_return;
        }
        // Named, not a braced temporary inside co_await: g++ 12 destroys those twice.
        gatehouse::UserSessionsFilter alice{.subject_id = "alice"};
        auto found = co_await services.store->get_user_sessions(alice);
        if (!found) co_return;
        std::cout << "alice has " << found->size() << " session(s) in partition "
                  << services.context.partition << "\n";
        status = found->size() == 1 ? 0 : 1;
      },
      boost::asio::detached);
  io.run();
  return status;
}
