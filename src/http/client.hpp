// Outbound HTTP(S) for the OIDC client (discovery, JWKS, token endpoint): one request per
// connection, bounded in time and size, certificate and host name always verified.
// Future work: connection reuse per origin, proxies.
#pragma once

#include "http/message.hpp"

#include <gatehouse/error_enum.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace gatehouse::http {

enum class ClientErrc {
  bad_url = 1,     // not an absolute http:// or https:// URL with a host
  resolve_failed,  // the host name did not resolve
  connect_failed,  // no address accepted a connection
  tls_failed,      // handshake failed: untrusted certificate, wrong host name, protocol error
  timeout,         // the whole exchange took longer than ClientRequest::timeout
  too_large,       // the response body exceeds ClientRequest::max_body (or the head is huge)
  bad_response,    // the response is not valid HTTP/1.1
  io_error,        // the connection failed while sending or receiving
  cancelled,       // the caller cancelled the operation
};

using gatehouse::make_error_code;

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // http://host[:port]/path?query; IPv6 hosts in brackets
  Fields headers;   // Host, Content-Length and Connection are set by the client
  std::string body;
  std::chrono::milliseconds timeout{10'000};  // for everything: resolve, connect, TLS, I/O
  std::size_t max_body = 1024 * 1024;
  std::optional<std::string> ca_file;  // PEM bundle to trust instead of the system store
};

struct ClientResponse {
  int status = 0;
  Fields headers;
  std::string body;

  std::optional<std::string_view> header(std::string_view name) const;
};

using ClientResult = boost::system::result<ClientResponse>;

// Completes on the awaiting coroutine's executor; `executor` runs the socket and timer.
// Errors are ClientErrc codes (compare with `result.error() == ClientErrc::timeout`).
boost::asio::awaitable<ClientResult> fetch(boost::asio::any_io_executor executor,
                                           ClientRequest request);

}  // namespace gatehouse::http

template <>
struct gatehouse::ErrorEnum<gatehouse::http::ClientErrc> {
  using E = http::ClientErrc;
  static constexpr const char* name = "gatehouse.http_client";
  static constexpr const char* unknown = "unknown http client error";
  static constexpr ErrorMessage<E> messages[] = {
      {E::bad_url, "not an absolute http or https URL"},
      {E::resolve_failed, "host name could not be resolved"},
      {E::connect_failed, "connection failed"},
      {E::tls_failed, "TLS handshake or certificate verification failed"},
      {E::timeout, "request timed out"},
      {E::too_large, "response too large"},
      {E::bad_response, "malformed HTTP response"},
      {E::io_error, "connection failed during the exchange"},
      {E::cancelled, "request cancelled"},
  };
};
