// Sessions people recognise and the per-user limit, through real logins (the fake provider over
// loopback, a real ticket store): what the login records, what GET /bff/sessions shows, and
// which sessions a login beyond `max_per_user` ends.
#include "bff/bff_endpoints.hpp"

#include <gatehouse/stores/memory_user_session_store.hpp>

#include "jose/test_keys.hpp"
#include "oidc/fake_provider.hpp"
#include "oidc/url_encoding.hpp"
#include "support/run.hpp"
#include "tickets/login_client.hpp"
#include "tickets/session_limit.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <mutex>

namespace gatehouse::testing {
namespace {

using namespace std::chrono_literals;
using boost::json::object;

constexpr const char* kClient = "gatehouse-test";
constexpr const char* kFirefox =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";
constexpr const char* kIphone =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1";

class RecordingSink : public events::SessionEventSink {
 public:
  void publish(const events::SessionEvent& event) noexcept override {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
  }
  std::vector<events::SessionEvent> ended() const {
    std::lock_guard lock(mutex_);
    std::vector<events::SessionEvent> out;
    for (const auto& e : events_)
      if (e.kind == events::EventKind::session_ended) out.push_back(e);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<events::SessionEvent> events_;
};

std::optional<std::string> header(const http::Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (http::iequals(n, name)) return v;
  return std::nullopt;
}

std::optional<std::string> query_value(std::string_view url, std::string_view name) {
  const auto fields = http::parse_form(url.substr(url.find('?') + 1));
  if (!fields) return std::nullopt;
  for (const auto& [n, v] : *fields)
    if (n == name) return v;
  return std::nullopt;
}

// "name=value" of the Set-Cookie whose name starts with `prefix`.
std::optional<std::string> set_cookie_pair(const http::Response& r, std::string_view prefix) {
  for (const auto& [n, v] : r.headers)
    if (http::iequals(n, "Set-Cookie") && v.starts_with(prefix)) return v.substr(0, v.find(';'));
  return std::nullopt;
}

class SessionDevicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    oidc::ClientSettings s;
    s.authority = provider_.issuer();
    s.client_id = kClient;
    s.client_secret = "secret";
    s.scopes = {"openid"};
    s.redirect_uri = "http://127.0.0.1:8080/signin-oidc";
    s.http_timeout = 2s;
    oidc_ = std::make_shared<oidc::OidcClient>(io_.get_executor(), s, oidc_clock_.clock());
    const auto loaded = run(io_, oidc_->load_metadata());
    ASSERT_TRUE(loaded) << loaded.error().detail;
    auto events = std::make_shared<events::SessionEvents>();
    events->set_partition("app");
    events->subscribe(sink_);
    events_ = events;
    make_endpoints(0);
  }

  void make_endpoints(std::size_t max_per_user) {
    bff::EndpointOptions o{"/bff", "http://127.0.0.1:8080", {"__Host-gatehouse", true, "Lax"}};
    o.events = events_;
    o.max_per_user = max_per_user;
    endpoints_ = std::make_unique<bff::BffEndpoints>(o, tickets_, oidc_, keys_, clock_.clock());
  }

  http::Response send(std::string target, std::vector<std::pair<std::string, std::string>> headers,
                      std::string address = "192.0.2.10", std::string method = "GET") {
    http::Request r;
    r.method = std::move(method);
    r.target = target;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.remote_address = std::move(address);
    for (auto& [n, v] : headers) r.headers.emplace_back(n, v);
    auto response = run(io_, endpoints_->handle(r));
    EXPECT_TRUE(response) << target;
    return response ? *response : http::Response{};
  }

  // A whole login: /bff/login, the provider, /bff/signin-oidc. The session cookie's value.
  std::string sign_in(std::optional<std::string> user_agent, std::string address,
                      std::string sub = "alice", std::string sid = "") {
    const auto started = send("/bff/login", {});
    EXPECT_EQ(started.status, 302);
    const auto location = header(started, "Location").value_or("");
    const auto state = query_value(location, "state");
    const auto nonce = query_value(location, "nonce");
    const auto flow = set_cookie_pair(started, "__Host-gatehouse-flow-");
    EXPECT_TRUE(state && nonce && flow) << location;
    if (!state || !nonce || !flow) return {};
    const auto now = oidc_clock_.seconds();
    object claims{{"iss", provider_.issuer()}, {"aud", kClient}, {"sub", sub},
                  {"exp", now + 300},          {"iat", now},     {"nonce", *nonce}};
    if (!sid.empty()) claims["sid"] = sid;
    provider_.set_id_token(jose::testing::sign_jwt({}, claims, jose::testing::test_keys().rsa.get(),
                                                   "RS256", "rsa-1"));
    std::vector<std::pair<std::string, std::string>> headers{{"Cookie", *flow}};
    if (user_agent) headers.emplace_back("User-Agent", *user_agent);
    const auto done = send("/signin-oidc?state=" + oidc::form_encode(*state) +
                               "&code=the-code&iss=" + oidc::form_encode(provider_.issuer()),
                           headers, std::move(address));
    EXPECT_EQ(done.status, 302) << done.body;
    const auto cookie = set_cookie_pair(done, "__Host-gatehouse=");
    EXPECT_TRUE(cookie);
    return cookie ? cookie->substr(std::string_view("__Host-gatehouse=").size()) : std::string{};
  }

  boost::json::array my_sessions(const std::string& handle) {
    const auto r =
        send("/bff/sessions", {{"Cookie", "__Host-gatehouse=" + handle}, {"X-CSRF", "1"}});
    EXPECT_EQ(r.status, 200) << r.body;
    auto parsed = boost::json::parse(r.body);
    return parsed.is_array() ? parsed.get_array() : boost::json::array{};
  }

  bool alive(const std::string& handle) {
    auto loaded = run(io_, tickets_->load(handle, false));
    return loaded && loaded->has_value();
  }

  void advance(std::chrono::seconds d) {
    clock_.advance(d);
    oidc_clock_.advance(d);
  }

  boost::asio::io_context io_;
  ManualClock clock_;
  oidc::testing::TestClock oidc_clock_;  // the same instant as clock_
  oidc::testing::FakeProvider provider_;
  std::shared_ptr<InMemoryUserSessionStore> store_ = std::make_shared<InMemoryUserSessionStore>(
      InMemoryUserSessionStoreOptions{.partition = "app", .clock = clock_.clock()});
  std::shared_ptr<crypto::KeyRing> keys_ =
      std::make_shared<crypto::KeyRing>(crypto::KeyRing::generate());
  std::shared_ptr<tickets::TicketStore> tickets_ = std::make_shared<tickets::TicketStore>(
      store_, keys_, tickets::TicketStoreOptions{}, clock_.clock());
  std::shared_ptr<oidc::OidcClient> oidc_;
  std::shared_ptr<RecordingSink> sink_ = std::make_shared<RecordingSink>();
  std::shared_ptr<const events::SessionEvents> events_;
  std::unique_ptr<bff::BffEndpoints> endpoints_;
};

TEST_F(SessionDevicesTest, ALoginRecordsDeviceAndAddressInsideTheSealedTicket) {
  const auto handle = sign_in(kFirefox, "2001:db8::7");
  auto loaded = run(io_, tickets_->load(handle, false));
  ASSERT_TRUE(loaded && *loaded);
  ASSERT_TRUE((*loaded)->ticket().client);
  EXPECT_EQ((*loaded)->ticket().client->device, "Firefox 121 on Windows");
  EXPECT_EQ((*loaded)->ticket().client->address, "2001:db8::7");
  // At rest it is sealed: neither the address nor the device is in the stored row.
  const auto& stored = (*loaded)->session.ticket;
  EXPECT_EQ(stored.find("2001:db8::7"), std::string::npos);
  EXPECT_EQ(stored.find("Firefox"), std::string::npos);
  EXPECT_EQ(tickets::sealed_login_client(*keys_, stored, (*loaded)->key),
            (*loaded)->ticket().client);
  EXPECT_FALSE(tickets::sealed_login_client(crypto::KeyRing::generate(), stored, (*loaded)->key))
      << "a ring without its key shows nothing";
}

TEST_F(SessionDevicesTest, MySessionsShowDeviceAddressAndLastSeenNullBeforeTheyWereRecorded) {
  const auto phone = sign_in(kIphone, "198.51.100.4");
  advance(90s);
  const auto laptop = sign_in(std::nullopt, "192.0.2.10");  // no User-Agent at all
  // A session sealed before logins recorded a client: no device, no address.
  tickets::SessionTicket old;
  old.claims["sub"] = "alice";
  old.id_token = "id";
  old.access_token = "at";
  ASSERT_TRUE(run(io_, tickets_->create("alice", std::nullopt, old)));

  const auto list = my_sessions(laptop);
  ASSERT_EQ(list.size(), 3u);
  int phones = 0, unknown = 0, unrecorded = 0;
  for (const auto& v : list) {
    const auto& s = v.as_object();
    ASSERT_TRUE(s.contains("device") && s.contains("address") && s.contains("last_seen"));
    EXPECT_EQ(s.at("last_seen"), s.at("renewed")) << "last seen is the throttled renewal";
    if (s.at("device").is_null()) {
      EXPECT_TRUE(s.at("address").is_null());
      ++unrecorded;
    } else if (s.at("device") == "Mobile Safari 17 on iOS") {
      EXPECT_EQ(s.at("address"), "198.51.100.4");
      EXPECT_EQ(s.at("current"), false);
      EXPECT_EQ(s.at("last_seen"), "2027-01-15T08:00:00Z");
      ++phones;
    } else {
      EXPECT_EQ(s.at("device"), "Unknown browser");
      EXPECT_EQ(s.at("address"), "192.0.2.10");
      EXPECT_EQ(s.at("current"), true);
      EXPECT_EQ(s.at("last_seen"), "2027-01-15T08:01:30Z");
      ++unknown;
    }
  }
  EXPECT_EQ(phones, 1);
  EXPECT_EQ(unknown, 1);
  EXPECT_EQ(unrecorded, 1);
  EXPECT_TRUE(alive(phone));
}

TEST_F(SessionDevicesTest, ALoginBeyondTheLimitEndsTheLeastRecentlyUsedSessions) {
  make_endpoints(2);
  const auto first = sign_in(kFirefox, "192.0.2.1");
  advance(120s);
  const auto second = sign_in(kIphone, "192.0.2.2");
  advance(120s);
  // The first is used again (renewed): now the second is the least recently used.
  ASSERT_TRUE(run(io_, tickets_->load(first, true)));
  const auto bob = sign_in(kFirefox, "192.0.2.9", "bob");  // other users do not count
  advance(120s);
  EXPECT_TRUE(alive(first) && alive(second) && alive(bob)) << "at the limit, nothing ends";
  EXPECT_TRUE(sink_->ended().empty());

  const auto third = sign_in(kFirefox, "192.0.2.3");
  EXPECT_TRUE(alive(first));
  EXPECT_FALSE(alive(second)) << "the least recently used went";
  EXPECT_TRUE(alive(third)) << "never the new one";
  EXPECT_TRUE(alive(bob));
  const auto ended = sink_->ended();
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].reason, events::EndReason::limit);
  EXPECT_EQ(ended[0].actor, events::Actor::gateway);
  EXPECT_EQ(ended[0].subject, "alice");
  EXPECT_EQ(ended[0].partition, "app");
  EXPECT_EQ(ended[0].session_id.size(), 22u);
  EXPECT_EQ(my_sessions(third).size(), 2u);

  // A lower limit (after a restart with another setting) trims down to it at the next login.
  make_endpoints(1);
  advance(10s);
  const auto fourth = sign_in(kIphone, "192.0.2.4");
  EXPECT_TRUE(alive(fourth));
  EXPECT_FALSE(alive(first));
  EXPECT_FALSE(alive(third));
  EXPECT_EQ(sink_->ended().size(), 3u);
  EXPECT_TRUE(alive(bob));
}

TEST_F(SessionDevicesTest, NoLimitByDefault) {
  std::vector<std::string> handles;
  for (int i = 0; i < 5; ++i) {
    handles.push_back(sign_in(kFirefox, "192.0.2.1"));
    advance(1s);
  }
  for (const auto& h : handles) EXPECT_TRUE(alive(h));
  EXPECT_TRUE(sink_->ended().empty());
}

// A session last seen at `renewed_s`, started at `created_s` (by default then: a fresh login).
UserSession at(std::string key, int renewed_s, std::optional<int> created_s = std::nullopt,
               std::optional<int> expires_s = std::nullopt) {
  UserSession s;
  s.key = std::move(key);
  s.subject_id = "alice";
  s.renewed = Timestamp(std::chrono::seconds(renewed_s));
  s.created = Timestamp(std::chrono::seconds(created_s.value_or(renewed_s)));
  if (expires_s) s.expires = Timestamp(std::chrono::seconds(*expires_s));
  return s;
}

std::vector<std::string> keys_of(const std::vector<UserSession>& sessions) {
  std::vector<std::string> out;
  for (const auto& s : sessions) out.push_back(s.key);
  return out;
}

using Keys = std::vector<std::string>;

TEST(SessionLimit, TheLeastRecentlyUsedGoByLastSeenThenKey) {
  const Timestamp now(std::chrono::seconds(100));
  using tickets::sessions_beyond_limit;
  EXPECT_EQ(keys_of(sessions_beyond_limit(
                {at("a", 10, 1), at("b", 30, 2), at("c", 20, 3), at("new", 50)}, "new", 2, now)),
            (Keys{"c", "a"}));
  // Ties by key: the smaller key counts as used less recently.
  EXPECT_EQ(
      keys_of(sessions_beyond_limit({at("y", 10), at("x", 10), at("new", 50)}, "new", 2, now)),
      (Keys{"x"}));
  // Expired sessions neither count nor are ended here (the cleanup takes them).
  EXPECT_TRUE(
      sessions_beyond_limit({at("gone", 40, 40, 90), at("new", 50)}, "new", 1, now).empty());
  EXPECT_TRUE(sessions_beyond_limit({at("a", 1), at("b", 2), at("new", 50)}, "new", 0, now).empty())
      << "0: no limit";
  EXPECT_TRUE(sessions_beyond_limit({at("a", 1), at("new", 50)}, "new", 2, now).empty());
  // The new session not (yet) visible: the limit still holds for the others.
  EXPECT_EQ(keys_of(sessions_beyond_limit({at("a", 10), at("b", 20)}, "new", 1, now)), (Keys{"a"}));
}

TEST(SessionLimit, ConcurrentLoginsOnTwoInstancesAgreeAndKeepTheNewest) {
  const Timestamp now(std::chrono::seconds(100));
  using tickets::sessions_beyond_limit;
  // Limit 1, logins A and B at once, both read after both creates: both end the same two, and
  // B, the later login, stays (never none).
  const std::vector<UserSession> both{at("old", 10), at("login-a", 50), at("login-b", 51)};
  EXPECT_EQ(keys_of(sessions_beyond_limit(both, "login-a", 1, now)), (Keys{"login-a", "old"}));
  EXPECT_EQ(keys_of(sessions_beyond_limit(both, "login-b", 1, now)), (Keys{"login-a", "old"}));
  // A's create landed after B had read: B ended only "old"; A, reading last, ends itself, so
  // once both are done the limit holds.
  EXPECT_EQ(keys_of(sessions_beyond_limit({at("old", 10), at("login-b", 51)}, "login-b", 1, now)),
            (Keys{"old"}));
  EXPECT_EQ(
      keys_of(sessions_beyond_limit({at("login-a", 50), at("login-b", 51)}, "login-a", 1, now)),
      (Keys{"login-a"}));
  // Limit 2, three at once: whoever reads everything keeps the two latest.
  const std::vector<UserSession> three{at("l1", 50), at("l2", 51), at("l3", 52)};
  for (const auto* own : {"l1", "l2", "l3"})
    EXPECT_EQ(keys_of(sessions_beyond_limit(three, own, 2, now)), (Keys{"l1"})) << own;
}

TEST(SessionLimit, ALoginOnAnInstanceWhoseClockIsBehindKeepsItsSession) {
  const Timestamp now(std::chrono::seconds(100));
  // "phone" started long ago and was just renewed by an instance whose clock is ahead: it looks
  // more recently used than the new login, which is still kept (no login started after it).
  EXPECT_EQ(
      keys_of(tickets::sessions_beyond_limit({at("phone", 60, 5), at("new", 50)}, "new", 1, now)),
      (Keys{"phone"}));
}

}  // namespace
}  // namespace gatehouse::testing
