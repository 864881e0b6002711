#include "tickets/session_limit.hpp"

#include <algorithm>

namespace gatehouse::tickets {

bool used_more_recently(const UserSession& a, const UserSession& b) {
  if (a.renewed != b.renewed) return a.renewed > b.renewed;
  return a.key > b.key;
}

namespace {

bool started_later(const UserSession& a, const UserSession& b) {
  if (a.created != b.created) return a.created > b.created;
  return a.key > b.key;
}

}  // namespace

std::vector<UserSession> sessions_beyond_limit(std::vector<UserSession> sessions,
                                               std::string_view new_key, std::size_t limit,
                                               Timestamp now) {
  std::vector<UserSession> doomed;
  if (limit == 0) return doomed;
  std::erase_if(sessions, [&](const UserSession& s) { return s.expires && *s.expires <= now; });
  std::sort(sessions.begin(), sessions.end(), used_more_recently);
  const auto own = std::find_if(sessions.begin(), sessions.end(),
                                [&](const UserSession& s) { return s.key == new_key; });
  bool pinned = false;
  if (own != sessions.end()) {
    const auto later_logins = std::count_if(sessions.begin(), sessions.end(), [&](const auto& s) {
      return s.key != own->key && started_later(s, *own);
    });
    pinned = static_cast<std::size_t>(later_logins) < limit;
  }
  // Kept: the new session when pinned, then the most recently used others up to the limit.
  std::size_t kept = pinned ? 1 : 0;
  for (auto& s : sessions) {
    if (pinned && s.key == new_key) continue;
    if (kept < limit)
      ++kept;
    else
      doomed.push_back(std::move(s));
  }
  return doomed;
}

boost::asio::awaitable<StoreResult<std::vector<UserSession>>> end_sessions_beyond_limit(
    TicketStore& tickets, std::string subject, std::string new_key, std::size_t limit,
    Timestamp now) {
  std::vector<UserSession> ended;
  if (limit == 0) co_return ended;
  UserSessionsFilter filter{.subject_id = std::move(subject)};
  auto found = co_await tickets.store()->get_user_sessions(filter);
  if (!found) co_return found.error();
  for (auto& s : sessions_beyond_limit(std::move(*found), new_key, limit, now)) {
    auto removed = co_await tickets.remove(s.key);
    if (!removed) co_return removed.error();
    ended.push_back(std::move(s));
  }
  co_return ended;
}

}  // namespace gatehouse::tickets
