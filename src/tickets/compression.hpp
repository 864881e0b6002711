// Raw DEFLATE (RFC 1951, zlib) with a preset dictionary, for ticket plaintexts: no zlib header
// or checksum, since the AES-GCM tag around the ticket already authenticates every byte.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::tickets {

std::string deflate_raw(std::string_view input, std::string_view dictionary);

// The inflated bytes, or nullopt unless `input` is exactly one complete raw DEFLATE stream
// (truncated, corrupt or trailing bytes) whose output is at most `max_output` bytes: inflating
// stops as soon as it would exceed that, so a bomb costs no more memory than the cap.
std::optional<std::string> inflate_raw(std::string_view input, std::string_view dictionary,
                                       std::size_t max_output);

}  // namespace gatehouse::tickets
