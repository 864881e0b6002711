#include "admin/session_json.hpp"

#include <boost/json/value.hpp>

namespace gatehouse::admin {

std::string operator_session_id(const std::string& key) {
  return key.substr(0, 12);
}

boost::json::object session_json(const UserSession& session, Timestamp now) {
  boost::json::object o;
  o["id"] = operator_session_id(session.key);
  o["subject"] = session.subject_id;
  o["sid"] = session.session_id ? boost::json::value(*session.session_id) : nullptr;
  o["created"] = format_utc(session.created);
  o["renewed"] = format_utc(session.renewed);
  o["expires"] = session.expires ? boost::json::value(format_utc(*session.expires)) : nullptr;
  o["expired"] = session.expires && *session.expires <= now;
  return o;
}

}  // namespace gatehouse::admin
