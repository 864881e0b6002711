#include "bff/flow_state.hpp"

#include "crypto/base64.hpp"

#include <boost/json.hpp>

namespace gatehouse::bff {
namespace {

std::string associated_data(FlowKind kind, std::string_view state) {
  return std::string(kind == FlowKind::login ? "gatehouse-login:" : "gatehouse-logout:")
      .append(state);
}

}  // namespace

std::string seal_flow(const crypto::KeyRing& keys, FlowKind kind, std::string_view state,
                      const FlowState& flow) {
  boost::json::object o;
  o["r"] = flow.return_url;
  o["t"] = flow.created;
  if (kind == FlowKind::login) {
    o["v"] = flow.code_verifier;
    o["n"] = flow.nonce;
  }
  return crypto::base64url_encode(
      keys.seal(boost::json::serialize(o), associated_data(kind, state)));
}

std::optional<FlowState> open_flow(const crypto::KeyRing& keys, FlowKind kind,
                                   std::string_view state, std::string_view cookie_value,
                                   std::int64_t now) {
  if (cookie_value.size() > 4096) return std::nullopt;
  auto sealed = crypto::base64url_decode(cookie_value);
  if (!sealed) return std::nullopt;
  auto plain = keys.open(*sealed, associated_data(kind, state));
  if (!plain) return std::nullopt;
  boost::system::error_code ec;
  auto value = boost::json::parse(*plain, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& o = value.get_object();
  auto str = [&](const char* k) -> std::optional<std::string> {
    auto it = o.find(k);
    if (it == o.end() || !it->value().is_string()) return std::nullopt;
    return std::string(it->value().get_string());
  };
  auto r = str("r");
  auto t = o.find("t");
  if (!r || t == o.end() || !t->value().is_int64()) return std::nullopt;
  FlowState flow{*r, {}, {}, t->value().get_int64()};
  if (now < flow.created || now - flow.created > flow_lifetime.count()) return std::nullopt;
  if (kind == FlowKind::login) {
    auto v = str("v");
    auto n = str("n");
    if (!v || !n) return std::nullopt;
    flow.code_verifier = *v;
    flow.nonce = *n;
  }
  return flow;
}

}  // namespace gatehouse::bff
