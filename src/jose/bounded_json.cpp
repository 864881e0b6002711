#include "jose/bounded_json.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>

namespace gatehouse::jose {

result<boost::json::object> parse_json_object(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) return JoseErrc::too_large;
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec, {}, options);
  if (ec == boost::json::error::too_deep) return JoseErrc::too_large;
  if (ec) return JoseErrc::malformed;
  auto* obj = value.if_object();
  if (!obj) return JoseErrc::malformed;
  return std::move(*obj);
}

}  // namespace gatehouse::jose
