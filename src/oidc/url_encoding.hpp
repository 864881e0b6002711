// Building the URLs and form bodies we send to the provider.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gatehouse::oidc {

using Params = std::vector<std::pair<std::string_view, std::string_view>>;

// Percent-encodes every byte except RFC 3986 unreserved characters (ALPHA DIGIT - . _ ~). Stricter
// than form encoding needs, so the result is valid in a query, a form body and HTTP Basic.
std::string form_encode(std::string_view value);

// name=value&name=value, each side form_encode'd.
std::string encode_params(const Params& params);

// `url` with the params appended to its query ('?' or '&'), keeping a query it already has
// (some providers put e.g. a policy name there).
std::string append_query(std::string_view url, const Params& params);

}  // namespace gatehouse::oidc
