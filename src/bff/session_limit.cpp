// `[session] max_per_user`, applied after every login (the order and the bound across instances
// are in tickets/session_limit.hpp).
#include "tickets/session_limit.hpp"
#include "bff/bff_endpoints.hpp"
#include "bff/session_audit.hpp"

#include <spdlog/spdlog.h>

namespace gatehouse::bff {

boost::asio::awaitable<void> BffEndpoints::enforce_session_limit(const http::Request& request,
                                                                 const std::string& subject,
                                                                 const std::string& new_key) {
  auto ended = co_await tickets::end_sessions_beyond_limit(*tickets_, subject, new_key,
                                                           options_.max_per_user, clock_());
  if (!ended) {
    // The login stands; the next login of this user trims again.
    spdlog::warn("session limit: cannot end older sessions: {}", ended.error().message());
    co_return;
  }
  if (ended->empty()) co_return;
  std::vector<std::string> refresh_tokens;
  const auto origin = origin_of(request);
  for (const auto& s : *ended) {
    if (auto token = tickets_->refresh_token(s)) refresh_tokens.push_back(std::move(*token));
    publish_session(options_.events.get(), events::EventKind::session_ended,
                    {s.key, s.subject_id, s.session_id}, &origin, events::EndReason::limit,
                    events::Actor::gateway);
  }
  spdlog::info("session limit ({} per user): a login ended {} older session(s)",
               options_.max_per_user, ended->size());
  // Queued, not awaited: the login's redirect does not wait for the provider.
  if (options_.revoker && !refresh_tokens.empty())
    co_await options_.revoker->revoke(std::move(refresh_tokens), std::chrono::milliseconds{0});
}

}  // namespace gatehouse::bff
