// The running gateway: configuration in, a serving process out. The `gatehouse serve` command
// is a thin shell around it, and an embedding application can use it directly with its own
// store registered on the builder (see docs/embedding.md).
#pragma once

#include <gatehouse/bff_builder.hpp>

#include <gatehouse/config/config.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>

namespace gatehouse::bff {

// Start-up failed (key ring, store, listen address); what() says what and where.
class StartupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Gateway {
 public:
  // Opens the key ring and the store. Uses the builder's store when one was added, otherwise
  // the one `config.session.store` names. Throws StartupError.
  explicit Gateway(config::Config config, BffBuilder builder = {});
  ~Gateway();

  // Serves on `[server] threads` io threads (this one among them) until SIGINT or SIGTERM or
  // request_stop(), then shuts down gracefully. Returns the exit code.
  int run();
  // From any thread, once run() has started: shuts down as SIGTERM would.
  void request_stop();
  // The bound port of `[server] listen` (useful with port 0).
  std::uint16_t port() const;
  // The bound ports of `[admin] listen` and `[metrics] listen`; 0 when that listener is off.
  std::uint16_t admin_port() const;
  std::uint16_t metrics_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::bff
