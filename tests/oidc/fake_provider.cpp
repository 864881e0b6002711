#include "fake_provider.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "jose/test_keys.hpp"

namespace gatehouse::oidc::testing {

FakeProvider::FakeProvider() : jwks_{jose::testing::test_keys().jwks_json} {
  server_ = std::make_unique<gatehouse::testing::ServerThread>(
      gatehouse::testing::local_options(), [this](http::Request& r) { return handle(r); });
}

std::string FakeProvider::issuer() const {
  return "http://127.0.0.1:" + std::to_string(server_->port());
}

boost::json::object FakeProvider::discovery() const {
  const auto base = issuer();
  boost::json::object d{
      {"issuer", base},
      {"authorization_endpoint", base + "/authorize"},
      {"token_endpoint", base + "/token"},
      {"jwks_uri", base + "/jwks"},
      {"end_session_endpoint", base + "/logout"},
      {"token_endpoint_auth_methods_supported", {"client_secret_basic", "client_secret_post"}},
      {"code_challenge_methods_supported", {"S256"}},
      {"authorization_response_iss_parameter_supported", true}};
  std::lock_guard lock(mutex_);
  if (revocation_status_) d["revocation_endpoint"] = base + "/revoke";
  return d;
}

void FakeProvider::enable_revocation(int status) {
  std::lock_guard lock(mutex_);
  revocation_status_ = status;
}

void FakeProvider::set_revocation_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  revocation_delay_ = delay;
}

int FakeProvider::max_concurrent_revocations() const {
  std::lock_guard lock(mutex_);
  return max_revocations_in_flight_;
}

std::vector<FakeProvider::TokenRequest> FakeProvider::revocation_requests() const {
  std::lock_guard lock(mutex_);
  return revocation_requests_;
}

void FakeProvider::set_discovery(std::string body) {
  std::lock_guard lock(mutex_);
  discovery_ = std::move(body);
}

void FakeProvider::set_jwks(std::vector<std::string> bodies) {
  std::lock_guard lock(mutex_);
  jwks_ = std::move(bodies);
}

void FakeProvider::set_token_response(int status, std::string body, http::Fields headers) {
  std::lock_guard lock(mutex_);
  token_response_ = {status, std::move(body), std::move(headers)};
}

void FakeProvider::queue_token_response(int status, std::string body, http::Fields headers) {
  std::lock_guard lock(mutex_);
  queued_token_responses_.push_back({status, std::move(body), std::move(headers)});
}

void FakeProvider::set_id_token(std::string id_token) {
  const boost::json::object body{{"access_token", "at-123"},
                                 {"token_type", "Bearer"},
                                 {"expires_in", 3600},
                                 {"refresh_token", "rt-456"},
                                 {"id_token", std::move(id_token)}};
  set_token_response(200, boost::json::serialize(body));
}

void FakeProvider::set_token_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  token_delay_ = delay;
}

int FakeProvider::jwks_fetches() const {
  std::lock_guard lock(mutex_);
  return jwks_fetches_;
}

std::vector<FakeProvider::TokenRequest> FakeProvider::token_requests() const {
  std::lock_guard lock(mutex_);
  return token_requests_;
}

boost::asio::awaitable<http::Response> FakeProvider::handle(http::Request& request) {
  if (request.path == "/.well-known/openid-configuration") {
    std::optional<std::string> custom;
    {
      std::lock_guard lock(mutex_);
      custom = discovery_;
    }
    co_return http::json(200, custom ? *custom : boost::json::serialize(discovery()));
  }
  if (request.path == "/revoke" && request.method == "POST") {
    std::chrono::milliseconds delay{0};
    int status = 404;
    {
      std::lock_guard lock(mutex_);
      revocation_requests_.push_back({request.headers, request.body});
      max_revocations_in_flight_ = std::max(max_revocations_in_flight_, ++revocations_in_flight_);
      delay = revocation_delay_;
      status = revocation_status_.value_or(404);
    }
    if (delay.count() > 0) {
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
      timer.expires_after(delay);
      co_await timer.async_wait(boost::asio::use_awaitable);
    }
    {
      std::lock_guard lock(mutex_);
      --revocations_in_flight_;
    }
    co_return http::json(status, "{}");
  }
  if (request.path == "/jwks") {
    std::lock_guard lock(mutex_);
    const auto index =
        std::min<std::size_t>(static_cast<std::size_t>(jwks_fetches_++), jwks_.size() - 1);
    co_return http::json(200, jwks_[index]);
  }
  if (request.path == "/token" && request.method == "POST") {
    std::chrono::milliseconds delay{0};
    http::Response response;
    {
      std::lock_guard lock(mutex_);
      token_requests_.push_back({request.headers, request.body});
      delay = token_delay_;
      Canned canned = token_response_;
      if (!queued_token_responses_.empty()) {
        canned = std::move(queued_token_responses_.front());
        queued_token_responses_.pop_front();
      }
      response = http::json(canned.status, std::move(canned.body));
      for (auto& [name, value] : canned.headers) response.set_header(name, std::move(value));
    }
    if (delay.count() > 0) {
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
      timer.expires_after(delay);
      co_await timer.async_wait(boost::asio::use_awaitable);
    }
    co_return response;
  }
  co_return http::text(404, "not found");
}

}  // namespace gatehouse::oidc::testing
