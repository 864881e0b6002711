#include "bff/local_apis.hpp"

#include "bff/cookies.hpp"
#include "bff/responses.hpp"
#include "bff/session_audit.hpp"
#include "proxy/forwarder.hpp"

#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <stdexcept>

namespace gatehouse::bff {
namespace {

bool on_boundary(std::string_view path, std::string_view prefix) {
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

bool overlaps(std::string_view a, std::string_view b) {
  return on_boundary(a, b) || on_boundary(b, a);
}

}  // namespace

LocalApis::LocalApis(std::vector<LocalApi> apis, const std::vector<std::string>& reserved,
                     std::string session_cookie, std::string clear_session_cookie,
                     std::shared_ptr<tickets::TicketStore> tickets,
                     std::shared_ptr<proxy::TokenSource> tokens)
    : session_cookie_(std::move(session_cookie)),
      clear_session_cookie_(std::move(clear_session_cookie)),
      tickets_(std::move(tickets)),
      tokens_(std::move(tokens)) {
  for (auto& api : apis) {
    const auto& path = api.path;
    if (path.size() < 2 || path.front() != '/' || path.back() == '/' ||
        path.find_first_of("?#% \t\r\n") != std::string::npos)
      throw std::invalid_argument("local API \"" + path +
                                  "\": the path must be absolute, without a trailing /, ?, # or %");
    for (const auto& other : reserved)
      if (overlaps(path, other))
        throw std::invalid_argument("local API \"" + path + "\" would shadow " + other);
    for (const auto& entry : apis_)
      if (entry.api.path == path) throw std::invalid_argument("local API \"" + path + "\" twice");
    Entry entry{std::move(api), {}};
    entry.route.config.path = entry.api.path;
    entry.route.config.audience = entry.api.options.audience;
    entry.route.upstream.origin = "local:" + entry.api.path;
    apis_.push_back(std::move(entry));
  }
  std::stable_sort(apis_.begin(), apis_.end(), [](const Entry& a, const Entry& b) {
    return a.api.path.size() > b.api.path.size();
  });
}

const LocalApis::Entry* LocalApis::match(const std::string& path) const {
  for (const auto& entry : apis_)
    if (on_boundary(path, entry.api.path)) return &entry;
  return nullptr;
}

boost::asio::awaitable<std::optional<http::Response>> LocalApis::handle(http::Request& request) {
  const auto* entry = match(request.path);
  if (!entry) co_return std::nullopt;
  co_return co_await serve(*entry, request);
}

boost::asio::awaitable<http::Response> LocalApis::serve(const Entry& entry,
                                                        http::Request& request) {
  if (entry.api.options.csrf && !has_csrf_header(request))
    co_return proxy::problem_response(401, "missing X-CSRF: 1 header");
  const auto handle = find_cookie(request, session_cookie_);
  if (!handle) co_return proxy::problem_response(401, "not signed in");
  auto loaded = co_await tickets_->load(*handle, true);
  if (!loaded) {
    auto r = proxy::problem_response(503, "session store unavailable, try again shortly");
    r.set_header("Retry-After", "5");
    co_return r;
  }
  if (!*loaded) {
    auto r = proxy::problem_response(401, "not signed in");
    r.headers.emplace_back("Set-Cookie", clear_session_cookie_);
    co_return r;
  }
  auto& session = **loaded;
  const auto origin = origin_of(request);
  const proxy::CallSite call{&entry.route, request.method, entry.route.upstream.origin, &origin};
  auto credential = co_await tokens_->user_credential(session, call);
  if (!credential.credential) {
    auto r =
        proxy::problem_response(credential.status ? credential.status : 503, credential.detail);
    if (r.status == 503) r.set_header("Retry-After", "5");
    if (credential.session_ended) r.headers.emplace_back("Set-Cookie", clear_session_cookie_);
    co_return r;
  }

  LocalApiRequest in;
  in.method = request.method;
  in.path = request.path;
  in.query = request.query;
  for (auto& [name, value] : request.headers)
    if (!http::iequals(name, "cookie") && !http::iequals(name, "authorization"))
      in.headers.emplace_back(name, std::move(value));
  in.body = std::move(request.body);
  in.subject = session.session.subject_id;
  in.claims_json = boost::json::serialize(session.ticket().claims);
  const auto& authorization = credential.credential->authorization;
  const auto space = authorization.find(' ');
  in.token_type = authorization.substr(0, space);
  in.access_token = authorization.substr(space + 1);

  std::optional<LocalApiResponse> out;
  std::string failure;
  try {
    out = co_await entry.api.handler(std::move(in));
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!out) {
    spdlog::error("local API {} failed on {} {}: {}", entry.api.path, request.method, request.path,
                  failure);
    co_return proxy::problem_response(500, "the endpoint failed");
  }
  http::Response r;
  r.status = out->status;
  r.body = std::move(out->body);
  for (auto& [name, value] : out->headers)
    if (!http::iequals(name, "set-cookie"))
      r.headers.emplace_back(std::move(name), std::move(value));
  if (!r.header("Cache-Control")) r.set_header("Cache-Control", "no-store");
  co_return r;
}

}  // namespace gatehouse::bff
