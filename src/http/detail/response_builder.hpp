// Internal (Beast inside): turns our Response into the Beast message the connection writes,
// adding the headers every response carries and owning the framing headers.
#pragma once

#include "http/message.hpp"

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/optional.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace gatehouse::http::detail {

namespace bhttp = boost::beast::http;

// A Beast body over Response::shared_body: the message holds a reference, never a copy.
struct SharedStringBody {
  using value_type = std::shared_ptr<const std::string>;

  static std::uint64_t size(const value_type& body) { return body ? body->size() : 0; }

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(const bhttp::header<isRequest, Fields>&, const value_type& body) : body_(body) {}

    void init(boost::system::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(boost::system::error_code& ec) {
      ec = {};
      if (!body_ || body_->empty()) return boost::none;
      return {{const_buffers_type(body_->data(), body_->size()), false}};
    }

   private:
    const value_type& body_;
  };
};

using PreparedResponse =
    std::variant<bhttp::response<bhttp::string_body>, bhttp::response<bhttp::empty_body>,
                 bhttp::response<bhttp::file_body>, bhttp::response<SharedStringBody>>;

struct ResponseContext {
  unsigned version = 11;
  bool head = false;  // HEAD: headers (with the real Content-Length) but no body
  bool keep_alive = true;
  std::string_view request_id;  // sent as X-Request-Id when not empty
};

// The head exactly as Beast's serializer writes it (status line, then each field as stored, then
// the blank line), but in one buffer: Beast hands writev a buffer per header line and several
// per status line, and walking those sequences was ~8 % of the gateway's CPU on the static path.
template <class Body>
inline void render_head(const bhttp::response<Body>& m, std::string& out) {
  const unsigned version = m.version(), code = m.result_int();
  out.assign("HTTP/1.1 200 ");
  out[5] = static_cast<char>('0' + version / 10 % 10);
  out[7] = static_cast<char>('0' + version % 10);
  out[9] = static_cast<char>('0' + code / 100 % 10);
  out[10] = static_cast<char>('0' + code / 10 % 10);
  out[11] = static_cast<char>('0' + code % 10);
  auto reason = m.reason();
  if (reason.empty()) reason = bhttp::obsolete_reason(static_cast<bhttp::status>(code));
  out.append(reason.data(), reason.size()).append("\r\n");
  for (const auto& field : m) {
    const auto name = field.name_string(), value = field.value();
    out.append(name.data(), name.size()).append(": ").append(value.data(), value.size());
    out.append("\r\n");
  }
  out.append("\r\n");
}

PreparedResponse prepare_response(Response&& response, const ResponseContext& ctx);

// The common answer without building a Beast message: renders into `out` the very head that
// render_head(prepare_response(r, ctx)) gives (same fields, same order, same framing) and
// returns true; the body to send is response_body(r, ctx). False (nothing rendered) for what
// only the Beast path serves: a file body, a 101, a status outside 100..599 (answered 500).
bool render_response_head(const Response& r, const ResponseContext& ctx, std::string& out);
// What follows the head rendered by render_response_head: nothing for HEAD and for statuses
// without a body (1xx, 204, 304), else the shared body when set, else the body.
boost::asio::const_buffer response_body(const Response& r, const ResponseContext& ctx);

// The head of a streamed response (Exchange::write_head): the caller's headers minus the framing
// ones, plus what every response carries. A 101 keeps Connection and Upgrade.
template <class Body>
bhttp::response<Body> prepare_stream_head(int status, const Fields& headers,
                                          const ResponseContext& ctx);

// The answer to a refused request: plain text, Connection: close.
PreparedResponse prepare_error(int status, std::string reason);

}  // namespace gatehouse::http::detail
