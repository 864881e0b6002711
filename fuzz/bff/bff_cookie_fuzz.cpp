// Hostile Cookie headers: parsing, handle validation and flow-cookie opening must never crash,
// and only well-formed 43-character handles may map to a store key.
#include "bff/cookies.hpp"
#include "bff/flow_state.hpp"
#include "tickets/handle.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto keys = gatehouse::crypto::KeyRing::generate();
  gatehouse::http::Request request;
  request.headers.emplace_back("Cookie", std::string(reinterpret_cast<const char*>(data), size));
  for (const auto& [name, value] : request.cookies()) {
    auto key = gatehouse::tickets::key_for_handle(value);
    if (key && value.size() != gatehouse::tickets::kHandleChars) std::abort();
    (void)gatehouse::bff::open_flow(keys, gatehouse::bff::FlowKind::login, name, value, 0);
  }
  (void)gatehouse::bff::find_cookie(request, "__Host-gatehouse");
  return 0;
}
