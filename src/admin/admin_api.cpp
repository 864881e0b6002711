#include "admin/admin_api.hpp"

#include <gatehouse/session/user_session_validation.hpp>

#include "admin/admin_page.hpp"
#include "admin/session_json.hpp"
#include "crypto/base64.hpp"
#include "crypto/digest.hpp"
#include "crypto/key_ring.hpp"
#include "http/responses.hpp"
#include "tickets/expired_events.hpp"

#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <chrono>
#include <stdexcept>
#include <vector>

namespace gatehouse::admin {
namespace {

using http::Request;
using http::Response;

constexpr std::size_t default_page_size = 100;  // GET /admin/sessions without a filter

Response reply(int status, const boost::json::object& body) {
  return http::no_store(http::json(status, boost::json::serialize(body)));
}

Response error(int status, std::string reason) {
  boost::json::object body;
  body["error"] = std::move(reason);
  return reply(status, body);
}

Response method_not_allowed(std::string allow) {
  auto r = error(405, "method not allowed");
  r.set_header("Allow", std::move(allow));
  return r;
}

Response store_failure(const boost::system::error_code& ec) {
  if (ec == StoreErrc::invalid_argument) return error(400, "the store refused the filter");
  spdlog::error("admin API: session store failed: {}", ec.message());
  auto r = error(503, "session store unavailable, try again shortly");
  r.set_header("Retry-After", "5");
  return r;
}

// Subjects and provider session ids are personal data: the audit log gets a short hash, the
// same one the login log line shows, so the two can be matched.
std::string log_hash(std::string_view value) {
  return crypto::base64url_encode(crypto::sha256(value)).substr(0, 12);
}

std::string describe(const UserSessionsFilter& filter) {
  std::string out;
  if (filter.subject_id) out += "subject hash " + log_hash(*filter.subject_id);
  if (filter.subject_id && filter.session_id) out += " and ";
  if (filter.session_id) out += "sid hash " + log_hash(*filter.session_id);
  return out;
}

struct Selection {
  UserSessionsFilter filter;
  std::optional<std::string> id;  // one session's operator id, among those the filter selects
  bool expired = false;
  std::optional<std::string> limit;  // GET without a filter: page size and cursor, unparsed
  std::optional<std::string> after;
  std::string problem;  // why the query is refused (a 400); empty when it is usable
};

enum class Verb { list, revoke };

// The admin query: `sub`, `sid`, `id`, and `limit`/`after` (listing) or `expired=true`
// (revoking), each at most once, nothing else. Unknown names are refused rather than ignored: a
// mistyped `sidd=` must not turn "this session of alice" into "every session of alice".
Selection parse_selection(std::string_view query, Verb verb) {
  const auto fields = http::parse_form(query);
  if (!fields) return {.problem = "malformed query string"};
  Selection out;
  std::optional<std::string> expired;
  for (const auto& [name, value] : *fields) {
    std::optional<std::string>* slot = nullptr;
    if (name == "sub")
      slot = &out.filter.subject_id;
    else if (name == "sid")
      slot = &out.filter.session_id;
    else if (name == "id")
      slot = &out.id;
    else if (name == "expired" && verb == Verb::revoke)
      slot = &expired;
    else if (name == "limit" && verb == Verb::list)
      slot = &out.limit;
    else if (name == "after" && verb == Verb::list)
      slot = &out.after;
    else
      return {.problem = "unknown query parameter \"" + name.substr(0, 40) + "\""};
    if (*slot) return {.problem = "duplicate query parameter \"" + name + "\""};
    if (value.empty()) return {.problem = "query parameter \"" + name + "\" is empty"};
    *slot = value;
  }
  if (expired && *expired != "true") return {.problem = "expired must be \"true\""};
  out.expired = expired.has_value();
  if (out.id && out.id->size() > operator_session_id_length)
    return {.problem = "id is longer than a session id from a listing"};
  if (out.id && !out.filter.subject_id && !out.filter.session_id)
    return {.problem = "id needs the session's sub (or sid) beside it"};
  return out;
}

// The page cursor is the last listed store key sealed with the key ring: it reveals no key, a
// cursor the API never handed out does not open (400, not an empty page), and every instance
// sharing the key ring accepts the cursors of the others.
constexpr std::string_view cursor_purpose = "gatehouse admin listing cursor v1";

std::string encode_cursor(const crypto::KeyRing& keys, const std::string& key) {
  return crypto::base64url_encode(keys.seal(key, cursor_purpose));
}

std::optional<std::string> decode_cursor(const crypto::KeyRing& keys, std::string_view cursor) {
  auto sealed = crypto::base64url_decode(cursor);
  if (!sealed) return std::nullopt;
  auto key = keys.open(*sealed, cursor_purpose);
  if (!key || validate_key(*key)) return std::nullopt;
  return key;
}

// 1..UserSessionPageRequest::max_limit in plain decimal digits; nullopt otherwise.
std::optional<std::size_t> parse_limit(std::string_view text) {
  std::size_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value == 0 || value > UserSessionPageRequest::max_limit)
    return std::nullopt;
  return value;
}

bool has_filter(const UserSessionsFilter& f) {
  return f.subject_id || f.session_id;
}

}  // namespace

AdminApi::AdminApi(AdminApiOptions options, std::shared_ptr<UserSessionStore> store,
                   std::shared_ptr<UserSessionStoreCleanup> cleanup,
                   std::shared_ptr<UserSessionStoreListing> listing, Clock clock)
    : token_digest_(crypto::sha256(options.token)),
      cursor_keys_(std::move(options.cursor_keys)),
      cleanup_batch_(options.cleanup_batch),
      end_sessions_(std::move(options.end_sessions)),
      end_session_(std::move(options.end_session)),
      store_(std::move(store)),
      cleanup_(std::move(cleanup)),
      listing_(std::move(listing)),
      events_(std::move(options.events)),
      clock_(clock ? std::move(clock) : system_clock()),
      metrics_(std::move(options.metrics)) {
  if (options.token.empty()) throw std::invalid_argument("admin API: the token is empty");
  if (!cursor_keys_) throw std::invalid_argument("admin API: no key ring for cursors");
  if (!store_) throw std::invalid_argument("admin API: no session store");
}

void AdminApi::audit(const Request& request, const char* action, const UserSessionsFilter* filter,
                     std::size_t count) const {
  if (!events_ || events_->empty()) return;
  const events::RequestOrigin origin{
      std::string(request.client_address()),
      events::clean_user_agent(request.header("User-Agent").value_or(""))};
  auto event = events_->make(events::EventKind::admin_action, &origin);
  event.actor = events::Actor::admin;
  event.action = action;
  event.count = count;
  if (filter) {
    event.subject = filter->subject_id.value_or("");
    event.sid = filter->session_id;
  }
  events_->publish(event);
}

bool AdminApi::authorized(const Request& request) const {
  if (request.header_count("Authorization") != 1) return false;
  std::string_view value = *request.header("Authorization");
  constexpr std::string_view scheme = "Bearer";
  if (value.size() <= scheme.size() || !http::iequals(value.substr(0, scheme.size()), scheme) ||
      value[scheme.size()] != ' ')
    return false;
  value.remove_prefix(scheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  // Equal-length digests: the comparison reveals neither the token nor its length.
  return crypto::constant_time_equal(crypto::sha256(value), token_digest_);
}

boost::asio::awaitable<Response> AdminApi::handle(Request& request) {
  // The page holds no data: it is what asks for the token.
  if (auto page = serve_page(request)) co_return std::move(*page);
  if (!authorized(request)) {
    spdlog::warn("admin API: refused a request from {}: {} bearer token", request.client_address(),
                 request.header("Authorization") ? "wrong" : "no");
    auto r = error(401, "a valid bearer token is required");
    r.set_header("WWW-Authenticate", "Bearer realm=\"gatehouse-admin\"");
    co_return r;
  }
  const auto& method = request.method;
  if (request.path == "/admin/sessions") {
    if (method == "GET") co_return co_await list(request);
    if (method == "DELETE") co_return co_await revoke(request);
    co_return method_not_allowed("GET, DELETE");
  }
  if (request.path == "/admin/cleanup") {
    if (method != "POST") co_return method_not_allowed("POST");
    if (!request.query.empty()) co_return error(400, "POST /admin/cleanup takes no parameters");
    co_return co_await remove_expired(request, "removed");
  }
  if (request.path == "/admin/keys") {
    if (method != "GET") co_return method_not_allowed("GET");
    if (!request.query.empty()) co_return error(400, "GET /admin/keys takes no parameters");
    co_return keys();
  }
  if (request.path == "/metrics" && metrics_) {
    if (method != "GET" && method != "HEAD") co_return method_not_allowed("GET");
    auto r = http::no_store(http::text(200, metrics_()));
    r.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    co_return r;
  }
  co_return error(404, "no such admin endpoint");
}

boost::asio::awaitable<Response> AdminApi::list(const Request& request) {
  const auto selection = parse_selection(request.query, Verb::list);
  if (!selection.problem.empty()) co_return error(400, selection.problem);
  if (!has_filter(selection.filter)) co_return co_await list_page(selection.limit, selection.after);
  if (selection.limit || selection.after)
    co_return error(400, "limit and after page the listing of every session: not with sub or sid");
  auto found = co_await store_->get_user_sessions(selection.filter);
  if (!found) co_return store_failure(found.error());
  const auto now = clock_();
  boost::json::array sessions;
  for (const auto& s : *found)
    if (!selection.id || operator_session_id(s.key) == *selection.id)
      sessions.push_back(session_json(s, now, cursor_keys_.get()));
  audit(request, "list", &selection.filter, sessions.size());
  boost::json::object body;
  body["sessions"] = std::move(sessions);
  co_return reply(200, body);
}

// Listing a partition is an optional ability of a store (UserSessionStoreListing).
boost::asio::awaitable<Response> AdminApi::list_page(const std::optional<std::string>& limit,
                                                     const std::optional<std::string>& after) {
  if (!listing_)
    co_return error(400,
                    "GET /admin/sessions needs sub or sid: this session store cannot list "
                    "every session; filter by sub or sid");
  UserSessionPageRequest page{.limit = default_page_size};
  if (limit) {
    const auto parsed = parse_limit(*limit);
    if (!parsed)
      co_return error(400, "limit must be a whole number from 1 to " +
                               std::to_string(UserSessionPageRequest::max_limit));
    page.limit = *parsed;
  }
  if (after) {
    page.after = decode_cursor(*cursor_keys_, *after);
    if (!page.after) co_return error(400, "after is not a cursor from a previous page's next");
  }
  auto found = co_await listing_->list_user_sessions(std::move(page));
  if (!found) co_return store_failure(found.error());
  const auto now = clock_();
  boost::json::array sessions;
  for (const auto& s : found->sessions)
    sessions.push_back(session_json(s, now, cursor_keys_.get()));
  boost::json::object body;
  body["sessions"] = std::move(sessions);
  if (found->next)
    body["next"] = encode_cursor(*cursor_keys_, *found->next);
  else
    body["next"] = nullptr;
  co_return reply(200, body);
}

boost::asio::awaitable<Response> AdminApi::revoke(const Request& request) {
  const auto selection = parse_selection(request.query, Verb::revoke);
  if (!selection.problem.empty()) co_return error(400, selection.problem);
  if (selection.expired && has_filter(selection.filter))
    co_return error(400, "expired=true cannot be combined with sub or sid");
  if (selection.expired) co_return co_await remove_expired(request, "revoked");
  if (!has_filter(selection.filter))
    co_return error(400, "DELETE /admin/sessions needs sub or sid, or expired=true");
  if (selection.id) co_return co_await revoke_one(request, selection.filter, *selection.id);
  auto removed = end_sessions_ ? co_await end_sessions_(selection.filter)
                               : co_await store_->delete_user_sessions(selection.filter);
  if (!removed) co_return store_failure(removed.error());
  spdlog::info("admin API: revoke by {} from {}: {} session(s) removed", describe(selection.filter),
               request.client_address(), *removed);
  audit(request, "revoke", &selection.filter, *removed);
  boost::json::object body;
  body["revoked"] = *removed;
  co_return reply(200, body);
}

// One session by its operator id. The id is a prefix of the store key, so it is matched only among
// the sessions the filter finds, exactly (never as a prefix of a prefix), and two matches (two
// keys sharing their first characters) end nothing: the operator sees a 409, not a coin toss.
boost::asio::awaitable<Response> AdminApi::revoke_one(const Request& request,
                                                      const UserSessionsFilter& filter,
                                                      const std::string& id) {
  auto found = co_await store_->get_user_sessions(filter);
  if (!found) co_return store_failure(found.error());
  std::vector<UserSession> matches;
  for (auto& s : *found)
    if (operator_session_id(s.key) == id) matches.push_back(std::move(s));
  if (matches.empty()) co_return error(404, "no session with that id matches sub/sid");
  if (matches.size() > 1)
    co_return error(409, "several sessions share that id: revoke them by sub or sid instead");
  std::size_t removed = 1;
  if (end_session_) {
    auto ended = co_await end_session_(std::move(matches.front()));
    if (!ended) co_return store_failure(ended.error());
    removed = *ended;
  } else {
    auto deleted = co_await store_->delete_user_session(matches.front().key);
    if (!deleted) co_return store_failure(deleted.error());
  }
  spdlog::info("admin API: revoke of session {} ({}) from {}: {} session(s) removed", id,
               describe(filter), request.client_address(), removed);
  audit(request, "revoke", &filter, removed);
  boost::json::object body;
  body["revoked"] = removed;
  co_return reply(200, body);
}

Response AdminApi::keys() const {
  const auto ring = cursor_keys_->summary();
  boost::json::array keys;
  for (const auto& k : ring.keys) {
    boost::json::object o;
    o["kid"] = k.kid;
    o["created"] = format_utc(Timestamp(std::chrono::seconds(k.created)));
    keys.push_back(std::move(o));
  }
  boost::json::object body;
  body["active"] = ring.active;
  body["keys"] = std::move(keys);
  return reply(200, body);
}

boost::asio::awaitable<Response> AdminApi::remove_expired(const Request& request,
                                                          const char* count_name) {
  if (!cleanup_) co_return error(503, "this session store has no cleanup of expired sessions");
  DeleteExpiredOptions options{.batch_size = cleanup_batch_};
  if (events_ && !events_->empty())
    options.on_removed = [events = events_](std::span<const ExpiredSession> removed) {
      tickets::publish_expired(events.get(), removed, events::Actor::admin);
    };
  auto removed = co_await cleanup_->delete_expired_sessions(std::move(options));
  if (!removed) co_return store_failure(removed.error());
  spdlog::info("admin API: removal of expired sessions from {}: {} session(s) removed",
               request.client_address(), *removed);
  audit(request, "cleanup", nullptr, *removed);
  boost::json::object body;
  body[count_name] = *removed;
  co_return reply(200, body);
}

}  // namespace gatehouse::admin
