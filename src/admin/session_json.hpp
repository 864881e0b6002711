// How operators see a session, the same in `gatehouse sessions list --format json` and in the
// admin API: ids, subject and times; never the cookie handle, the whole store key or the ticket.
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/user_session.hpp>

#include <boost/json/object.hpp>

#include <string>

namespace gatehouse::admin {

// A prefix of the store key (itself a hash of the cookie handle): enough to tell sessions apart
// in a listing, useless as a cookie.
std::string operator_session_id(const std::string& key);

// {"id", "subject", "sid" (or null), "created", "renewed", "expires" (or null), "expired"}, times
// as "2026-11-27T10:00:00Z"; "expired" says whether the session has ended by `now` (an ended
// session stays in the store until the next cleanup).
boost::json::object session_json(const UserSession& session, Timestamp now);

}  // namespace gatehouse::admin
