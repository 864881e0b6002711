// A short, human-readable summary of a User-Agent header ("Firefox 121 on Windows"), for the
// session lists people read to recognise their devices. A pure parser of untrusted input: no
// coroutines, no allocation beyond the result, bounded input and output.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gatehouse::bff {

// Only this many leading bytes of a User-Agent are looked at (real ones are under 300).
inline constexpr std::size_t kUserAgentInputLimit = 512;
// The summary never exceeds this many bytes.
inline constexpr std::size_t kUserAgentSummaryLimit = 64;

// "<browser> <major> on <platform>" (e.g. "Chromium 120 on Linux", "Mobile Safari 17 on iOS",
// "Edge 120 on Windows"), "curl 8" for command-line clients, "<bot name>" for known crawlers,
// and "Unknown browser" for anything unrecognised or empty. Printable ASCII only.
std::string summarize_user_agent(std::string_view user_agent);

}  // namespace gatehouse::bff
