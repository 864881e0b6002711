// Users see and end their own sessions (other devices, forgotten browsers), which none of the
// peers offer: GET /bff/sessions, DELETE /bff/sessions/{id}, DELETE /bff/sessions?others=true.
#include "bff/bff_endpoints.hpp"
#include "bff/responses.hpp"
#include "bff/session_audit.hpp"
#include "tickets/handle.hpp"
#include "tickets/login_client.hpp"

#include <boost/json.hpp>

#include <ctime>

namespace gatehouse::bff {
namespace {

// The id the SPA sees (shared with audit events): reveals neither the key nor the handle.
std::string public_id(const std::string& key) {
  return tickets::public_session_id(key);
}

}  // namespace

boost::asio::awaitable<http::Response> BffEndpoints::sessions(http::Request& request) {
  const auto sub = std::string_view(request.path).substr(options_.base_path.size());
  const bool one = sub.starts_with("/sessions/");
  const bool allowed =
      one ? request.method == "DELETE" : request.method == "GET" || request.method == "DELETE";
  if (!allowed) {
    auto r = problem(405, "method not allowed");
    r.set_header("Allow", one ? "DELETE" : "GET, DELETE");
    co_return r;
  }
  if (!has_csrf_header(request)) co_return problem(401, "missing X-CSRF: 1 header");
  auto handle = find_cookie(request, options_.cookies.session_name);
  if (!handle) co_return problem(401, "not signed in");
  auto current = co_await tickets_->load(*handle, false);
  if (!current) co_return unavailable();
  if (!*current) co_return problem(401, "not signed in");

  UserSessionsFilter mine{.subject_id = (*current)->session.subject_id};
  auto all = co_await tickets_->store()->get_user_sessions(mine);
  if (!all) co_return unavailable();
  const auto now = clock_();
  std::vector<UserSession> live;
  for (auto& s : *all)
    if (!s.expires || *s.expires > now) live.push_back(std::move(s));

  if (request.method == "GET") {
    boost::json::array out;
    for (const auto& s : live) {
      boost::json::object o;
      o["id"] = public_id(s.key);
      o["created"] = format_utc(s.created);
      o["renewed"] = format_utc(s.renewed);
      o["expires"] = s.expires ? boost::json::value(format_utc(*s.expires)) : nullptr;
      o["current"] = s.key == (*current)->key;
      // Recorded at login, sealed in the ticket: null for sessions from before it was recorded.
      // Last seen is the throttled renewal (accurate to session.renew_after).
      const auto client = s.key == (*current)->key
                              ? (*current)->ticket().client
                              : tickets::sealed_login_client(*keys_, s.ticket, s.key);
      o["device"] = client ? boost::json::value(client->device) : nullptr;
      o["address"] = client ? boost::json::value(client->address) : nullptr;
      o["last_seen"] = format_utc(s.renewed);
      out.push_back(std::move(o));
    }
    co_return no_store(http::json(200, boost::json::serialize(out)));
  }

  std::vector<SessionFacts> doomed;
  std::vector<std::string> refresh_tokens;
  auto doom = [&](const UserSession& s) {
    doomed.push_back({s.key, s.subject_id, s.session_id});
    if (auto token = tickets_->refresh_token(s)) refresh_tokens.push_back(std::move(*token));
  };
  if (one) {
    const auto id = sub.substr(std::string_view("/sessions/").size());
    for (const auto& s : live)
      if (public_id(s.key) == id) doom(s);
    // Someone else's session id, or a made-up one: indistinguishable on purpose.
    if (doomed.empty()) co_return problem(404, "no such session");
  } else {
    if (request.query_param("others") != "true")
      co_return problem(400, "DELETE /sessions needs others=true");
    for (const auto& s : live)
      if (s.key != (*current)->key) doom(s);
  }
  const auto origin = origin_of(request);
  for (const auto& session : doomed) {
    if (auto removed = co_await tickets_->remove(session.key); !removed) co_return unavailable();
    publish_session(options_.events.get(), events::EventKind::session_ended, session, &origin,
                    events::EndReason::user, events::Actor::user);
  }
  co_await revoke(std::move(refresh_tokens));
  boost::json::object result;
  result["ended"] = doomed.size();
  co_return no_store(http::json(200, boost::json::serialize(result)));
}

}  // namespace gatehouse::bff
