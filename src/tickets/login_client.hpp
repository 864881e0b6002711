// The login client (device and address) sealed in a stored session's ticket, for the session
// listings: the user's own (GET /bff/sessions), the admin API and `gatehouse sessions list`.
#pragma once

#include "tickets/ticket.hpp"

#include <optional>
#include <string_view>

namespace gatehouse::crypto {
class KeyRing;
}

namespace gatehouse::tickets {

// The client recorded at login in `sealed_ticket` (as stored under store key `key`); none when no
// key of the ring opens it, it does not parse, or it was sealed before clients were recorded.
// The ticket's tokens are wiped from memory before this returns.
std::optional<LoginClient> sealed_login_client(const crypto::KeyRing& keys,
                                               std::string_view sealed_ticket,
                                               std::string_view key);

}  // namespace gatehouse::tickets
