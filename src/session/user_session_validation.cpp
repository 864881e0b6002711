#include <gatehouse/session/user_session_validation.hpp>

namespace gatehouse {
namespace {

boost::system::error_code invalid() noexcept {
  return make_error_code(StoreErrc::invalid_argument);
}

bool bounded_nonempty(std::string_view value, std::size_t max) noexcept {
  return !value.empty() && value.size() <= max;
}

bool valid_optional_id(const std::optional<std::string>& id, std::size_t max) noexcept {
  return !id || bounded_nonempty(*id, max);
}

}  // namespace

boost::system::error_code validate_key(std::string_view key) noexcept {
  return bounded_nonempty(key, UserSessionLimits::max_key) ? boost::system::error_code{}
                                                           : invalid();
}

boost::system::error_code validate_partition_key(std::string_view partition_key) noexcept {
  return partition_key.size() <= UserSessionLimits::max_partition_key ? boost::system::error_code{}
                                                                      : invalid();
}

boost::system::error_code validate_update(const UserSessionUpdate& update) noexcept {
  if (!bounded_nonempty(update.subject_id, UserSessionLimits::max_subject_id)) return invalid();
  if (!valid_optional_id(update.session_id, UserSessionLimits::max_session_id)) return invalid();
  if (update.ticket.size() > UserSessionLimits::max_ticket) return invalid();
  return {};
}

boost::system::error_code validate_new_session(const UserSession& session,
                                               std::string_view partition) noexcept {
  if (auto ec = validate_key(session.key)) return ec;
  if (!session.partition_key.empty() && session.partition_key != partition) return invalid();
  if (!bounded_nonempty(session.subject_id, UserSessionLimits::max_subject_id)) return invalid();
  if (!valid_optional_id(session.session_id, UserSessionLimits::max_session_id)) return invalid();
  if (session.ticket.size() > UserSessionLimits::max_ticket) return invalid();
  return {};
}

boost::system::error_code validate_filter(const UserSessionsFilter& filter) noexcept {
  if (!filter.subject_id && !filter.session_id) return invalid();
  if (filter.subject_id && !bounded_nonempty(*filter.subject_id, UserSessionLimits::max_subject_id))
    return invalid();
  if (!valid_optional_id(filter.session_id, UserSessionLimits::max_session_id)) return invalid();
  return {};
}

boost::system::error_code validate_page_request(const UserSessionPageRequest& page) noexcept {
  if (page.limit == 0 || page.limit > UserSessionPageRequest::max_limit) return invalid();
  if (page.after) return validate_key(*page.after);
  return {};
}

}  // namespace gatehouse
