// What a login or logout must remember between leaving for the provider and coming back: kept
// in a short-lived cookie per flow (so several tabs can log in at once), sealed with the key
// ring and bound to the flow's `state`, so it can be neither read nor moved to another flow.
#pragma once

#include "crypto/key_ring.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::bff {

enum class FlowKind { login, logout };

struct FlowState {
  std::string return_url;
  std::string code_verifier;  // login only
  std::string nonce;          // login only
  std::int64_t created = 0;   // unix seconds
};

inline constexpr std::chrono::seconds flow_lifetime{600};

// Cookie value (base64url) for the flow.
std::string seal_flow(const crypto::KeyRing& keys, FlowKind kind, std::string_view state,
                      const FlowState& flow);
// nullopt when tampered, for another state or kind, or older than flow_lifetime.
std::optional<FlowState> open_flow(const crypto::KeyRing& keys, FlowKind kind,
                                   std::string_view state, std::string_view cookie_value,
                                   std::int64_t now);

}  // namespace gatehouse::bff
