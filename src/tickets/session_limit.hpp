// The per-user session limit (`[session] max_per_user`): after a login creates its session, the
// subject's least recently used sessions beyond the limit end.
//
// Across instances: every instance applies the same rule right after its own create, over what
// it then reads: keep the `limit` most recently used sessions (by `renewed`, i.e. last seen, ties
// by the greater store key), its new session always among them unless `limit` logins started
// after it (by `created`, ties by key) are there too. The last of several concurrent logins to
// read sees every one of them, so once they are all done the subject holds at most `limit`
// sessions (while N run at once, at most limit + N), and never none: the newest login is kept
// by every rule. Pinning the new session makes a login survive an instance whose clock is
// behind (its fresh session would otherwise look older than sessions renewed elsewhere); a clock
// far off only changes which sessions are taken as the least recently used.
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/user_session.hpp>

#include "tickets/ticket_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::tickets {

// True when `a` was used more recently than `b` (the order above).
bool used_more_recently(const UserSession& a, const UserSession& b);

// Of `sessions` (one subject's, as read after the create of `new_key`), those to end so that at
// most `limit` live ones remain, by the rule above. Sessions expired by `now` neither count nor
// are returned (cleanup takes them). `limit` 0: none.
std::vector<UserSession> sessions_beyond_limit(std::vector<UserSession> sessions,
                                               std::string_view new_key, std::size_t limit,
                                               Timestamp now);

// Reads `subject`'s sessions and ends those sessions_beyond_limit() names, one delete each.
// Returns the sessions it ended, as they were read (for their refresh tokens and end events);
// two instances trimming at once may both report one session (deleting a missing key succeeds).
// On a store failure, the error: the sessions ended before it stay ended.
boost::asio::awaitable<StoreResult<std::vector<UserSession>>> end_sessions_beyond_limit(
    TicketStore& tickets, std::string subject, std::string new_key, std::size_t limit,
    Timestamp now);

}  // namespace gatehouse::tickets
