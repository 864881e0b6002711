#include "tickets/partitions.hpp"

#include <gatehouse/session/user_session_validation.hpp>

#include "crypto/base64.hpp"
#include "crypto/digest.hpp"

namespace gatehouse::tickets {

std::string derived_partition(std::string_view session_partition, std::string_view purpose) {
  if (session_partition.size() + 1 + purpose.size() <= UserSessionLimits::max_partition_key)
    return std::string(session_partition) + "/" + std::string(purpose);
  return std::string(purpose) + "/" + crypto::base64url_encode(crypto::sha256(session_partition));
}

}  // namespace gatehouse::tickets
