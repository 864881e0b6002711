// Argument checks every store applies before touching its backend, shared so that custom stores
// give the same answers as the built-in ones.
#pragma once

#include <gatehouse/session/store_error.hpp>
#include <gatehouse/session/user_session.hpp>
#include <gatehouse/session/user_session_store.hpp>

#include <cstddef>
#include <string_view>

namespace gatehouse {

struct UserSessionLimits {
  static constexpr std::size_t max_key = 256;
  static constexpr std::size_t max_partition_key = 200;
  static constexpr std::size_t max_subject_id = 256;
  static constexpr std::size_t max_session_id = 256;
  static constexpr std::size_t max_ticket = 1024 * 1024;
};

// Each returns an empty error_code when valid, StoreErrc::invalid_argument otherwise.
boost::system::error_code validate_key(std::string_view key) noexcept;
boost::system::error_code validate_partition_key(std::string_view partition_key) noexcept;
// `partition` is the store's own partition: a session naming another partition is rejected.
boost::system::error_code validate_new_session(const UserSession& session,
                                               std::string_view partition) noexcept;
boost::system::error_code validate_update(const UserSessionUpdate& update) noexcept;
boost::system::error_code validate_filter(const UserSessionsFilter& filter) noexcept;
// `limit` within 1..UserSessionPageRequest::max_limit and `after`, when set, a valid key.
boost::system::error_code validate_page_request(const UserSessionPageRequest& page) noexcept;

}  // namespace gatehouse
