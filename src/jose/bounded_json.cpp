#include "jose/bounded_json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value_stack.hpp>

#include <cmath>
#include <set>
#include <string>
#include <vector>

namespace gatehouse::jose {
namespace {

namespace json = boost::json;
using boost::system::error_code;

// Boost.JSON's own value-building handler (detail::handler), plus the names seen in each open
// object: a name seen twice stops the parse.
struct UniqueNamesHandler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack stack;
  // std::set, not a hash set: the names come from outside and must not choose the cost.
  std::vector<std::set<std::string, std::less<>>> names;  // one per open object
  std::string name;                                       // the name being read, unescaped
  bool duplicate = false;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    names.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, error_code&) {
    names.pop_back();
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) {
    stack.push_array(n);
    return true;
  }
  // Escapes and buffer ends deliver a name in parts.
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    name.append(s.data(), s.size());
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code& ec) {
    name.append(s.data(), s.size());
    if (!names.back().insert(std::move(name)).second) {
      duplicate = true;
      ec = json::error::syntax;
      return false;
    }
    name.clear();
    stack.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, error_code&) {
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, error_code&) {
    stack.push_uint64(u);
    return true;
  }
  // Boost.JSON 1.81 reads 1e999 as infinity and 0e999 as NaN, and would write them back as
  // Infinity and NaN, which is not JSON: /bff/user would hand the SPA a body it cannot parse.
  bool on_double(double d, json::string_view, error_code& ec) {
    if (!std::isfinite(d)) {
      ec = json::error::exponent_overflow;
      return false;
    }
    stack.push_double(d);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }
};

}  // namespace

result<boost::json::object> parse_json_object(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) return JoseErrc::too_large;
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  json::basic_parser<UniqueNamesHandler> parser(options);
  parser.handler().stack.reset();
  error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (parser.handler().duplicate) return JoseErrc::malformed;
  if (ec == json::error::too_deep) return JoseErrc::too_large;
  if (ec || used != text.size() || !parser.done()) return JoseErrc::malformed;
  json::value value = parser.handler().stack.release();
  auto* obj = value.if_object();
  if (!obj) return JoseErrc::malformed;
  return std::move(*obj);
}

}  // namespace gatehouse::jose
