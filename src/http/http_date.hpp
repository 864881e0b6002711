// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), locale-independent, for Date/Last-Modified.
#pragma once

#include <chrono>
#include <string>

namespace gatehouse::http {

std::string http_date(std::chrono::system_clock::time_point t);

}  // namespace gatehouse::http
