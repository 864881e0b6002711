// Test support: an OpenID provider on 127.0.0.1 serving discovery, JWKS and a token endpoint
// whose answers each test sets, and recording what the client sent.
#pragma once

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/server_thread.hpp"
#include "oidc/oidc_client.hpp"

namespace gatehouse::oidc::testing {

// A clock the test moves by hand; copies share the time.
class TestClock {
 public:
  TestClock() : now_(std::make_shared<std::atomic<std::int64_t>>(1'800'000'000)) {}
  std::chrono::system_clock::time_point now() const {
    return std::chrono::system_clock::time_point(std::chrono::seconds(now_->load()));
  }
  std::int64_t seconds() const { return now_->load(); }
  void advance(std::chrono::seconds d) { now_->fetch_add(d.count()); }
  Clock clock() const {
    return [n = now_] { return Timestamp(std::chrono::seconds(n->load())); };
  }

 private:
  std::shared_ptr<std::atomic<std::int64_t>> now_;
};

class FakeProvider {
 public:
  struct TokenRequest {
    http::Fields headers;
    std::string body;
  };

  FakeProvider();

  std::string issuer() const;  // http://127.0.0.1:<port>
  // The discovery document served unless set_discovery overrides it.
  boost::json::object discovery() const;

  void set_discovery(std::string body);
  // JWKS documents served in order, the last one for every later fetch.
  void set_jwks(std::vector<std::string> bodies);
  // The token endpoint's answer from now on, with extra headers (e.g. DPoP-Nonce).
  void set_token_response(int status, std::string body, http::Fields headers = {});
  // Answers for the next token requests, one each, before the set_token_response one.
  void queue_token_response(int status, std::string body, http::Fields headers = {});
  // A 200 Bearer response carrying this ID token.
  void set_id_token(std::string id_token);
  // The token endpoint answers only after `delay` (longer than the client's timeout in tests).
  void set_token_delay(std::chrono::milliseconds delay);

  // Publishes revocation_endpoint (RFC 7009) at /revoke, answering `status`.
  void enable_revocation(int status = 200);
  std::vector<TokenRequest> revocation_requests() const;
  void set_revocation_delay(std::chrono::milliseconds delay);
  int max_concurrent_revocations() const;  // the most revocation requests in flight at once

  int jwks_fetches() const;
  std::vector<TokenRequest> token_requests() const;

 private:
  boost::asio::awaitable<http::Response> handle(http::Request& request);

  mutable std::mutex mutex_;
  std::optional<std::string> discovery_;
  std::vector<std::string> jwks_;
  int jwks_fetches_ = 0;
  struct Canned {
    int status = 500;
    std::string body;
    http::Fields headers;
  };
  Canned token_response_;
  std::deque<Canned> queued_token_responses_;
  std::chrono::milliseconds token_delay_{0};
  std::vector<TokenRequest> token_requests_;
  std::optional<int> revocation_status_;
  std::vector<TokenRequest> revocation_requests_;
  std::chrono::milliseconds revocation_delay_{0};
  int revocations_in_flight_ = 0;
  int max_revocations_in_flight_ = 0;
  std::unique_ptr<gatehouse::testing::ServerThread> server_;  // last: stops before the rest dies
};

}  // namespace gatehouse::oidc::testing
