// Internal (Beast inside): turns our Response into the Beast message the connection writes,
// adding the headers every response carries and owning the framing headers.
#pragma once

#include "http/message.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <variant>

namespace gatehouse::http::detail {

namespace bhttp = boost::beast::http;

using PreparedResponse =
    std::variant<bhttp::response<bhttp::string_body>, bhttp::response<bhttp::empty_body>,
                 bhttp::response<bhttp::file_body>>;

struct ResponseContext {
  unsigned version = 11;
  bool head = false;  // HEAD: headers (with the real Content-Length) but no body
  bool keep_alive = true;
};

PreparedResponse prepare_response(Response&& response, const ResponseContext& ctx);

// The answer to a refused request: plain text, Connection: close.
PreparedResponse prepare_error(int status, std::string reason);

}  // namespace gatehouse::http::detail
