// The session model: what a user session store keeps for each signed-in browser session.
#pragma once

#include <gatehouse/session/clock.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace gatehouse {

struct UserSession {
  std::string key;  // store key: a hash of the cookie handle, never the handle itself
  std::string
      partition_key;       // application name; stores fill it from the partition they are bound to
  std::string subject_id;  // the provider's `sub`
  std::optional<std::string> session_id;  // the provider's `sid`, when it sent one
  Timestamp created{};
  Timestamp renewed{};
  std::optional<Timestamp> expires;  // no value: never expires by time (cleanup keeps it)
  std::string ticket;                // opaque, already encrypted by the session layer
  // Kept by the store: 1 when created, one more with every update (what create is given is
  // ignored). Conditional updates compare it, so a slower writer never puts old data back.
  std::uint64_t version = 0;

  friend bool operator==(const UserSession&, const UserSession&) = default;
};

// Everything of a session that an update may change (key and partition are fixed at creation).
struct UserSessionUpdate {
  std::string subject_id;
  std::optional<std::string> session_id;
  Timestamp created{};
  Timestamp renewed{};
  std::optional<Timestamp> expires;
  std::string ticket;
  // When set: update only if the stored session's version is exactly this; otherwise conflict,
  // and nothing changes (compare-and-set).
  std::optional<std::uint64_t> expected_version;

  friend bool operator==(const UserSessionUpdate&, const UserSessionUpdate&) = default;
};

// One session a cleanup removed, as it was stored (DeleteExpiredOptions::on_removed; for audit
// events, so never its ticket).
struct ExpiredSession {
  std::string key;
  std::string subject_id;
  std::optional<std::string> session_id;
  std::optional<Timestamp> expires;

  friend bool operator==(const ExpiredSession&, const ExpiredSession&) = default;
};

// Selects sessions by subject and/or session id. Neither set is invalid; both set means AND.
struct UserSessionsFilter {
  std::optional<std::string> subject_id;
  std::optional<std::string> session_id;
};

}  // namespace gatehouse
