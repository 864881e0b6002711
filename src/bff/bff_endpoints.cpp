#include "bff/bff_endpoints.hpp"

#include "bff/flow_state.hpp"
#include "bff/responses.hpp"
#include "bff/return_url.hpp"
#include "bff/session_audit.hpp"
#include "bff/user_agent.hpp"
#include "bff/user_claims.hpp"
#include "crypto/base64.hpp"
#include "crypto/digest.hpp"
#include "oidc/url_encoding.hpp"

#include <spdlog/spdlog.h>

#include <vector>

namespace gatehouse::bff {
namespace {

using http::Request;
using http::Response;

constexpr std::size_t max_flow_cookies = 4;  // a few tabs logging in at once, not unbounded

Response redirect_to(std::string location) {
  return no_store(http::redirect(302, std::move(location)));
}

// A parameter that must appear at most once; a duplicate is a malformed (or hostile) request.
std::optional<std::string> single(const Request& r, std::string_view name, bool& duplicated) {
  if (r.query_param_count(name) > 1) duplicated = true;
  return r.query_param(name);
}

// returnUrl (default "/", a local path) and one more parameter, each at most once; the 400 to
// answer when either is malformed.
std::optional<Response> read_return_url(const Request& r, std::string_view other_name,
                                        std::string& return_url,
                                        std::optional<std::string>& other) {
  bool duplicated = false;
  return_url = single(r, "returnUrl", duplicated).value_or("/");
  other = single(r, other_name, duplicated);
  if (duplicated) return problem(400, "duplicate query parameter");
  if (!is_local_return_url(return_url))
    return problem(400, "invalid returnUrl: must be a local path");
  return std::nullopt;
}

// Provider error codes are shown to the user; keep them to their RFC 6749 alphabet.
std::string safe_error_code(std::string_view code) {
  std::string out;
  for (char c : code.substr(0, 64))
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')
      out.push_back(c);
  return out.empty() ? "unknown" : out;
}

}  // namespace

BffEndpoints::BffEndpoints(EndpointOptions options,
                           std::shared_ptr<tickets::TicketStore> ticket_store,
                           std::shared_ptr<oidc::OidcClient> oidc,
                           std::shared_ptr<const crypto::KeyRing> keys, Clock clock)
    : options_(std::move(options)),
      tickets_(std::move(ticket_store)),
      oidc_(std::move(oidc)),
      keys_(std::move(keys)),
      clock_(clock ? std::move(clock) : system_clock()) {}

std::string BffEndpoints::flow_cookie_name(std::string_view kind, std::string_view state) const {
  return options_.cookies.session_name + "-" + std::string(kind) + "-" + std::string(state);
}

std::int64_t BffEndpoints::now_seconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count();
}

boost::asio::awaitable<std::optional<Response>> BffEndpoints::handle(Request& request) {
  const auto& path = request.path;
  const auto& base = options_.base_path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  auto only_get = [&]() -> std::optional<Response> {
    if (get) return std::nullopt;
    auto r = problem(405, "method not allowed");
    r.set_header("Allow", "GET");
    return r;
  };
  if (path == "/healthz") co_return no_store(http::text(200, "ok\n"));
  if (path == "/readyz") co_return co_await ready();
  if (path == "/signin-oidc") {
    if (auto r = only_get()) co_return r;
    if (!request.query.empty() && !http::parse_form(request.query))
      co_return problem(400, "malformed query string");
    co_return co_await callback(request);
  }
  if (path == "/signout-callback-oidc") {
    if (auto r = only_get()) co_return r;
    co_return logout_callback(request);
  }
  if (path != base && !path.starts_with(base + "/")) co_return std::nullopt;
  // A query that is not valid form encoding (a stray %00, a broken escape) would otherwise read
  // as "no parameters" and fall back to defaults.
  if (!request.query.empty() && !http::parse_form(request.query))
    co_return problem(400, "malformed query string");
  const auto sub = std::string_view(path).substr(base.size());
  if (sub == "/login" || sub == "/user" || sub == "/logout") {
    if (auto r = only_get()) co_return r;
    if (sub == "/login") co_return co_await login(request);
    if (sub == "/user") co_return co_await user(request);
    co_return co_await logout(request);
  }
  if (sub == "/sessions" || sub.starts_with("/sessions/")) co_return co_await sessions(request);
  if (sub == "/backchannel") co_return co_await backchannel(request);
  co_return problem(404, "no such gatehouse endpoint");
}

boost::asio::awaitable<Response> BffEndpoints::ready() {
  if (!oidc_->ready()) co_return problem(503, "identity provider metadata not loaded yet");
  auto probe = co_await tickets_->store()->get_user_session("gatehouse-readiness-probe");
  if (!probe) co_return problem(503, "session store unavailable");
  co_return no_store(http::text(200, "ready\n"));
}

boost::asio::awaitable<Response> BffEndpoints::login(Request& request) {
  std::string return_url;
  std::optional<std::string> prompt;
  if (auto bad = read_return_url(request, "prompt", return_url, prompt)) co_return std::move(*bad);
  if (prompt && *prompt != "none" && *prompt != "login" && *prompt != "consent" &&
      *prompt != "select_account")
    co_return problem(400, "invalid prompt");
  if (!oidc_->ready()) co_return problem(503, "identity provider not available yet");

  auto login = oidc_->begin_login(prompt ? std::optional<std::string_view>(*prompt) : std::nullopt);
  FlowState flow{return_url, login.code_verifier, login.nonce, now_seconds()};
  auto response = redirect_to(login.url);
  // Bound the cookies abandoned logins leave behind: past a few, the older ones are cleared.
  // Browsers send older cookies first, so the ones cleared are the oldest logins.
  const auto prefix = flow_cookie_name("flow", "");
  std::vector<std::string> pending;
  for (const auto& [name, value] : request.cookies())
    if (name.starts_with(prefix)) pending.push_back(name);
  for (std::size_t i = 0; i + max_flow_cookies <= pending.size(); ++i)
    response.headers.emplace_back("Set-Cookie", clear_cookie(options_.cookies, pending[i]));
  response.headers.emplace_back(
      "Set-Cookie",
      set_cookie(options_.cookies, flow_cookie_name("flow", login.state),
                 seal_flow(*keys_, FlowKind::login, login.state, flow), flow_lifetime, "Lax"));
  co_return response;
}

boost::asio::awaitable<Response> BffEndpoints::callback(Request& request) {
  bool duplicated = false;
  auto state = single(request, "state", duplicated);
  auto code = single(request, "code", duplicated);
  auto error = single(request, "error", duplicated);
  auto iss = single(request, "iss", duplicated);
  if (duplicated) co_return problem(400, "duplicate query parameter in the login callback");
  if (!state || state->empty() || state->size() > 128)
    co_return problem(400, "login callback without a valid state");
  const auto cookie_name = flow_cookie_name("flow", *state);
  auto cookie = find_cookie(request, cookie_name);
  auto flow =
      cookie ? open_flow(*keys_, FlowKind::login, *state, *cookie, now_seconds()) : std::nullopt;
  auto fail = [&](int status, std::string reason) {
    auto r = problem(status, std::move(reason));
    if (cookie) r.headers.emplace_back("Set-Cookie", clear_cookie(options_.cookies, cookie_name));
    return r;
  };
  if (!flow) co_return fail(400, "unknown or expired login state; start the login again");
  if (error)
    co_return fail(400, "login failed at the identity provider: " + safe_error_code(*error));
  if (!code || code->empty()) co_return fail(400, "login callback without a code");
  if (!oidc_->ready()) co_return fail(503, "identity provider not available");
  const auto& metadata = oidc_->metadata();
  if ((iss || metadata.iss_parameter_supported) && iss != metadata.issuer)
    co_return fail(400, "login callback from an unexpected issuer");

  auto tokens = co_await oidc_->exchange_code(*code, flow->code_verifier, flow->nonce);
  if (!tokens) {
    spdlog::warn("login failed: {} ({})", tokens.error().code.message(), tokens.error().detail);
    co_return fail(400, "login failed: the authorization code could not be redeemed");
  }
  const auto& claims = tokens->id_token_claims;
  std::optional<std::string> sid;
  if (auto it = claims.find("sid"); it != claims.end() && it->value().is_string())
    sid = std::string(it->value().get_string());
  const auto subject = std::string(claims.at("sub").get_string());

  tickets::SessionTicket ticket;
  ticket.claims = claims;
  ticket.id_token = tokens->id_token;
  ticket.access_token = tokens->access_token;
  ticket.refresh_token = tokens->refresh_token;
  if (tokens->access_token_expires_at)
    ticket.access_token_expires_at = std::chrono::duration_cast<std::chrono::seconds>(
                                         tokens->access_token_expires_at->time_since_epoch())
                                         .count();
  // Sealed in the ticket, so the stores need no new columns and a database dump holds no
  // address (tickets/ticket.hpp).
  ticket.client =
      tickets::LoginClient{summarize_user_agent(request.header("User-Agent").value_or("")),
                           std::string(request.client_address())};
  // This browser's previous session ends with the new login (a fresh handle either way).
  if (auto old = find_cookie(request, options_.cookies.session_name))
    if (auto key = tickets::TicketStore::key_for_handle(*old)) co_await tickets_->remove(*key);

  auto issued = co_await tickets_->create(subject, sid, std::move(ticket));
  if (!issued) {
    spdlog::error("cannot store the new session: {}", issued.error().message());
    co_return issued.error() == StoreErrc::unavailable ? unavailable()
                                                       : fail(500, "cannot store the session");
  }
  spdlog::info("login: new session for subject hash {}",
               crypto::base64url_encode(crypto::sha256(subject)).substr(0, 12));
  if (listening(options_.events.get())) {
    const auto origin = origin_of(request);
    publish_session(options_.events.get(), events::EventKind::session_started,
                    {issued->key, subject, sid}, &origin);
  }
  if (options_.max_per_user > 0) co_await enforce_session_limit(request, subject, issued->key);
  auto response = redirect_to(flow->return_url);
  response.headers.emplace_back("Set-Cookie", clear_cookie(options_.cookies, cookie_name));
  const auto lifetime =
      std::chrono::duration_cast<std::chrono::seconds>(issued->absolute_expires - clock_());
  response.headers.emplace_back(
      "Set-Cookie",
      set_cookie(options_.cookies, options_.cookies.session_name, issued->handle, lifetime));
  co_return response;
}

boost::asio::awaitable<Response> BffEndpoints::user(Request& request) {
  if (!has_csrf_header(request)) co_return problem(401, "missing X-CSRF: 1 header");
  auto handle = find_cookie(request, options_.cookies.session_name);
  if (!handle) co_return problem(401, "not signed in");
  const bool slide = request.query_param("slide") != "false";
  auto session = co_await tickets_->load(*handle, slide);
  if (!session) co_return unavailable();
  if (!*session) {
    auto r = problem(401, "not signed in");
    r.headers.emplace_back("Set-Cookie",
                           clear_cookie(options_.cookies, options_.cookies.session_name));
    co_return r;
  }
  const auto& active = **session;
  const auto expires_in =
      std::chrono::duration_cast<std::chrono::seconds>(active.expires - clock_()).count();
  std::string logout_url = options_.base_path + "/logout";
  if (active.session.session_id)
    logout_url += "?sid=" + oidc::form_encode(*active.session.session_id);
  // Rendered once per opened ticket (and logout URL); only the seconds left change.
  auto prefix = active.opened->rendered(logout_url, [&](const tickets::SessionTicket& t) {
    return user_claims_prefix(t.claims, logout_url);
  });
  co_return no_store(http::json(200, complete_user_claims(std::move(prefix), expires_in)));
}

boost::asio::awaitable<Response> BffEndpoints::logout(Request& request) {
  std::string return_url;
  std::optional<std::string> sid;
  if (auto bad = read_return_url(request, "sid", return_url, sid)) co_return std::move(*bad);
  auto clear_session = clear_cookie(options_.cookies, options_.cookies.session_name);

  auto handle = find_cookie(request, options_.cookies.session_name);
  std::optional<tickets::ActiveSession> active;
  if (handle) {
    auto loaded = co_await tickets_->load(*handle, false);
    if (!loaded) co_return unavailable();
    active = std::move(*loaded);
  }
  if (!active) {
    auto r = redirect_to(return_url);
    r.headers.emplace_back("Set-Cookie", clear_session);
    co_return r;
  }
  // The sid parameter proves the request came from our own page (a forged GET lacks it).
  if (active->session.session_id &&
      (!sid || !crypto::constant_time_equal(*sid, *active->session.session_id)))
    co_return problem(400, "logout needs the sid of the current session");

  if (auto removed = co_await tickets_->remove(active->key); !removed) co_return unavailable();
  spdlog::info("logout: session ended");
  if (listening(options_.events.get())) {
    const auto origin = origin_of(request);
    publish_session(options_.events.get(), events::EventKind::session_ended,
                    {active->key, active->session.subject_id, active->session.session_id}, &origin,
                    events::EndReason::logout, events::Actor::user);
  }
  if (active->ticket().refresh_token) {
    std::vector<std::string> tokens{*active->ticket().refresh_token};
    co_await revoke(std::move(tokens));
  }

  std::optional<std::string> end_session;
  std::string state;
  if (oidc_->ready()) {
    state = crypto::base64url_encode(crypto::sha256(active->key + std::to_string(now_seconds())))
                .substr(0, 32);
    end_session = oidc_->end_session_url(active->ticket().id_token,
                                         options_.public_origin + "/signout-callback-oidc", state);
  }
  auto r = redirect_to(end_session.value_or(return_url));
  r.headers.emplace_back("Set-Cookie", clear_session);
  if (end_session) {
    FlowState flow{return_url, {}, {}, now_seconds()};
    r.headers.emplace_back(
        "Set-Cookie",
        set_cookie(options_.cookies, flow_cookie_name("logout", state),
                   seal_flow(*keys_, FlowKind::logout, state, flow), flow_lifetime, "Lax"));
  }
  co_return r;
}

Response BffEndpoints::logout_callback(Request& request) {
  auto state = request.query_param("state");
  std::string target = "/";
  Response r;
  if (state && !state->empty() && state->size() <= 128) {
    const auto name = flow_cookie_name("logout", *state);
    if (auto cookie = find_cookie(request, name)) {
      if (auto flow = open_flow(*keys_, FlowKind::logout, *state, *cookie, now_seconds()))
        target = flow->return_url;
      r.headers.emplace_back("Set-Cookie", clear_cookie(options_.cookies, name));
    }
  }
  auto redirect = redirect_to(target);
  for (auto& h : r.headers) redirect.headers.push_back(std::move(h));
  return redirect;
}

}  // namespace gatehouse::bff
