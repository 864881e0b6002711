// The body of GET /bff/user: the user's claims as [{"type","value"}], plus the logout URL and
// the seconds left in the session.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>

namespace gatehouse::bff {

std::string user_claims_json(const boost::json::object& claims, const std::string& logout_url,
                             std::int64_t session_expires_in);

// The same in two parts: everything that depends on the ticket and the logout URL only (worth
// rendering once per ticket), and the body completed with the seconds left.
std::string user_claims_prefix(const boost::json::object& claims, const std::string& logout_url);
std::string complete_user_claims(std::string prefix, std::int64_t session_expires_in);

}  // namespace gatehouse::bff
