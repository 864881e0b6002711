// Internal: the partitions the gateway keeps beside a session partition in the same store
// (replay records, refresh leases): "<partition>/<purpose>", or "<purpose>/<hash of the
// partition>" when that would exceed the store's partition limit.
#pragma once

#include <string>
#include <string_view>

namespace gatehouse::tickets {

std::string derived_partition(std::string_view session_partition, std::string_view purpose);

}  // namespace gatehouse::tickets
