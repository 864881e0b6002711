#include "tickets/handle.hpp"

#include "crypto/base64.hpp"
#include "crypto/base64_check.hpp"
#include "crypto/digest.hpp"
#include "crypto/random.hpp"

namespace gatehouse::tickets {

std::string new_handle() {
  return crypto::base64url_encode(crypto::random_bytes(kHandleBytes));
}

std::optional<std::string> key_for_handle(std::string_view handle) {
  if (handle.size() != kHandleChars) return std::nullopt;
  const auto raw = crypto::base64url_decoded_size(handle);  // checked, not decoded: no allocation
  if (!raw || *raw != kHandleBytes) return std::nullopt;
  return crypto::base64url_encode(crypto::sha256(handle));
}

std::string public_session_id(std::string_view key) {
  std::string input = "gatehouse-session-id:";
  input += key;
  return crypto::base64url_encode(crypto::sha256(input)).substr(0, 22);
}

}  // namespace gatehouse::tickets
