// Where the proxy gets the credentials it attaches upstream: the signed-in user's access token
// (refreshed when it is about to expire) or the gateway's own client-credentials token, each as
// an Authorization header and, for DPoP-bound tokens, a fresh proof for this very call.
#pragma once

#include "events/session_events.hpp"
#include "proxy/route_table.hpp"
#include "tickets/ticket_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::proxy {

struct UpstreamCredential {
  std::string authorization;              // "Bearer <token>" or "DPoP <token>"
  std::optional<std::string> dpop_proof;  // the DPoP header for this request
};

// A credential, or why there is none: the status the browser gets (401 the session ended,
// 503 the provider is failing) and a short reason.
struct CredentialOutcome {
  std::optional<UpstreamCredential> credential;
  int status = 0;
  std::string detail;
  bool session_ended = false;  // the browser's session cookie should be cleared
};

// What a call is for: the proof binds the method and the URL (RFC 9449 htm/htu).
struct CallSite {
  const ProxyRoute* route = nullptr;
  std::string_view method;
  std::string_view url;  // upstream origin + target, without the query
  // The browser request behind the call (audit events of a refresh); may be null.
  const events::RequestOrigin* origin = nullptr;
};

class TokenSource {
 public:
  virtual ~TokenSource() = default;

  // The user's access token for `call`; may refresh it (and write the session). The session is
  // the one the request loaded; on success it holds the ticket as stored after any refresh.
  virtual boost::asio::awaitable<CredentialOutcome> user_credential(tickets::ActiveSession& session,
                                                                    const CallSite& call) = 0;

  // The gateway's client-credentials token for the route's scopes and audience.
  virtual boost::asio::awaitable<CredentialOutcome> client_credential(const CallSite& call) = 0;

  // An upstream's DPoP-Nonce (RFC 9449 9): proofs for that origin carry it from now on.
  virtual void remember_nonce(const std::string& origin, std::string nonce) = 0;

  // A fresh DPoP proof for `call` with `access_token` (and the origin's latest nonce).
  virtual std::string dpop_proof(const CallSite& call, const std::string& access_token) = 0;
};

}  // namespace gatehouse::proxy
