#include "http/detail/response_builder.hpp"

#include "http/http_date.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

namespace gatehouse::http::detail {
namespace {

bool server_owned(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
         iequals(name, "connection") || iequals(name, "date") || iequals(name, "keep-alive");
}

bool status_without_body(int status) {
  return status < 200 || status == 204 || status == 304;
}

// A CR or LF in a header would let handler-supplied data split the response.
bool splits_response(std::string_view name, std::string_view value) {
  return value.find_first_of("\r\n") != std::string_view::npos ||
         name.find_first_of("\r\n:") != std::string_view::npos;
}

template <class Body>
bhttp::response<Body> start(const Fields& headers, int status, const ResponseContext& ctx) {
  bhttp::response<Body> m;
  m.version(ctx.version);
  m.result(static_cast<unsigned>(status));
  const bool upgrade = status == 101;
  for (const auto& [name, value] : headers) {
    if (splits_response(name, value)) continue;
    if (server_owned(name) && !(upgrade && iequals(name, "connection"))) continue;
    m.insert(name, value);
  }
  m.set(bhttp::field::date, http_date_now());
  m.set("X-Content-Type-Options", "nosniff");
  if (!ctx.request_id.empty()) m.set("X-Request-Id", ctx.request_id);
  if (!upgrade) m.keep_alive(ctx.keep_alive);
  return m;
}

template <class Body>
bhttp::response<Body> start(const Response& r, int status, const ResponseContext& ctx) {
  return start<Body>(r.headers, status, ctx);
}

}  // namespace

PreparedResponse prepare_response(Response&& r, const ResponseContext& ctx) {
  int status = r.status;
  if (status < 100 || status > 599) {
    spdlog::error("http handler returned invalid status {}; answering 500", status);
    return prepare_response(text(500, "internal server error\n"), ctx);
  }
  if (status_without_body(status)) return start<bhttp::empty_body>(r, status, ctx);

  if (r.file) {
    bhttp::file_body::value_type file;
    boost::system::error_code ec;
    file.open(r.file->c_str(), boost::beast::file_mode::scan, ec);
    if (ec) {  // vanished or unreadable since the handler looked: not the client's fault
      spdlog::warn("http cannot open {}: {}", r.file->string(), ec.message());
      return prepare_response(text(404, "not found\n"), ctx);
    }
    if (ctx.head) {
      auto m = start<bhttp::empty_body>(r, status, ctx);
      m.content_length(file.size());
      return m;
    }
    auto m = start<bhttp::file_body>(r, status, ctx);
    m.body() = std::move(file);
    m.prepare_payload();
    return m;
  }
  if (r.shared_body) {
    if (ctx.head) {
      auto m = start<bhttp::empty_body>(r, status, ctx);
      m.content_length(r.shared_body->size());
      return m;
    }
    auto m = start<SharedStringBody>(r, status, ctx);
    m.body() = std::move(r.shared_body);
    m.prepare_payload();
    return m;
  }
  if (ctx.head) {
    auto m = start<bhttp::empty_body>(r, status, ctx);
    m.content_length(r.body.size());
    return m;
  }
  auto m = start<bhttp::string_body>(r, status, ctx);
  m.body() = std::move(r.body);
  m.prepare_payload();
  return m;
}

template <class Body>
bhttp::response<Body> prepare_stream_head(int status, const Fields& headers,
                                          const ResponseContext& ctx) {
  return start<Body>(headers, status, ctx);
}
template bhttp::response<bhttp::buffer_body> prepare_stream_head(int, const Fields&,
                                                                 const ResponseContext&);
template bhttp::response<bhttp::empty_body> prepare_stream_head(int, const Fields&,
                                                                const ResponseContext&);

namespace {
void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}
}  // namespace

bool render_response_head(const Response& r, const ResponseContext& ctx, std::string& out) {
  const int status = r.status;
  if (status < 100 || status > 599 || status == 101 || r.file) return false;
  out.assign("HTTP/1.1 200 ");
  out[5] = static_cast<char>('0' + ctx.version / 10 % 10);
  out[7] = static_cast<char>('0' + ctx.version % 10);
  out[9] = static_cast<char>('0' + status / 100);
  out[10] = static_cast<char>('0' + status / 10 % 10);
  out[11] = static_cast<char>('0' + status % 10);
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  out.append(reason.data(), reason.size()).append("\r\n");
  // What start() inserts, minus the fields its later set() calls replace (they go at the end).
  for (const auto& [name, value] : r.headers) {
    if (splits_response(name, value) || server_owned(name) ||
        iequals(name, "x-content-type-options") ||
        (!ctx.request_id.empty() && iequals(name, "x-request-id")))
      continue;
    append_field(out, name, value);
  }
  append_field(out, "Date", http_date_now());
  append_field(out, "X-Content-Type-Options", "nosniff");
  if (!ctx.request_id.empty()) append_field(out, "X-Request-Id", ctx.request_id);
  // Beast's keep_alive(): HTTP/1.1 says only close, HTTP/1.0 only keep-alive.
  if (ctx.version >= 11 && !ctx.keep_alive) append_field(out, "Connection", "close");
  if (ctx.version < 11 && ctx.keep_alive) append_field(out, "Connection", "keep-alive");
  if (!status_without_body(status)) {
    const std::size_t length = r.shared_body ? r.shared_body->size() : r.body.size();
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, length).ptr;
    append_field(out, "Content-Length", std::string_view(digits, end - digits));
  }
  out.append("\r\n");
  return true;
}

boost::asio::const_buffer response_body(const Response& r, const ResponseContext& ctx) {
  if (ctx.head || status_without_body(r.status)) return {};
  if (r.shared_body) return boost::asio::buffer(*r.shared_body);
  return boost::asio::buffer(r.body);
}

PreparedResponse prepare_error(int status, std::string reason) {
  return prepare_response(text(status, std::move(reason) + "\n"),
                          ResponseContext{.version = 11, .head = false, .keep_alive = false});
}

}  // namespace gatehouse::http::detail
