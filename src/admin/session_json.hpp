// How operators see a session, the same in `gatehouse sessions list --format json` and in the
// admin API: ids, subject, times and the device it was started from; never the cookie handle,
// the whole store key or the ticket's tokens.
#pragma once

#include <gatehouse/session/clock.hpp>
#include <gatehouse/session/user_session.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <string>

namespace gatehouse::crypto {
class KeyRing;
}

namespace gatehouse::admin {

// A prefix of the store key (itself a hash of the cookie handle): enough to tell sessions apart
// in a listing, useless as a cookie. At most `operator_session_id_length` characters (a store
// key shorter than that is its own id).
inline constexpr std::size_t operator_session_id_length = 12;
std::string operator_session_id(const std::string& key);

// {"id", "subject", "sid" (or null), "created", "renewed", "expires" (or null), "expired",
// "device", "address", "last_seen"}, times as "2026-11-27T10:00:00Z"; "expired" says whether the
// session has ended by `now` (an ended session stays in the store until the next cleanup).
// "device" and "address" were recorded at login inside the sealed ticket: opened with
// `ticket_keys`, null without a ring, when no key opens it, or for a session from before they
// were recorded. "last_seen" is "renewed" (the throttled sliding renewal).
boost::json::object session_json(const UserSession& session, Timestamp now,
                                 const crypto::KeyRing* ticket_keys = nullptr);

}  // namespace gatehouse::admin
