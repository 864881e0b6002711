#include "admin/session_json.hpp"

#include "tickets/login_client.hpp"

#include <boost/json/value.hpp>

namespace gatehouse::admin {

std::string operator_session_id(const std::string& key) {
  return key.substr(0, operator_session_id_length);
}

boost::json::object session_json(const UserSession& session, Timestamp now,
                                 const crypto::KeyRing* ticket_keys) {
  boost::json::object o;
  o["id"] = operator_session_id(session.key);
  o["subject"] = session.subject_id;
  o["sid"] = session.session_id ? boost::json::value(*session.session_id) : nullptr;
  o["created"] = format_utc(session.created);
  o["renewed"] = format_utc(session.renewed);
  o["expires"] = session.expires ? boost::json::value(format_utc(*session.expires)) : nullptr;
  o["expired"] = session.expires && *session.expires <= now;
  const auto client = ticket_keys
                          ? tickets::sealed_login_client(*ticket_keys, session.ticket, session.key)
                          : std::nullopt;
  o["device"] = client ? boost::json::value(client->device) : nullptr;
  o["address"] = client ? boost::json::value(client->address) : nullptr;
  o["last_seen"] = format_utc(session.renewed);
  return o;
}

}  // namespace gatehouse::admin
