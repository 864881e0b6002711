// Hostile User-Agent headers: the summary is never longer than its bound, never empty, and only
// printable ASCII, whatever the input.
#include "bff/user_agent.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto summary = gatehouse::bff::summarize_user_agent(input);
  if (summary.empty() || summary.size() > gatehouse::bff::kUserAgentSummaryLimit) std::abort();
  for (const char c : summary)
    if (c < 0x20 || c > 0x7e) std::abort();
  // Only the first kUserAgentInputLimit bytes count.
  if (size > gatehouse::bff::kUserAgentInputLimit &&
      summary != gatehouse::bff::summarize_user_agent(
                     input.substr(0, gatehouse::bff::kUserAgentInputLimit)))
    std::abort();
  return 0;
}
