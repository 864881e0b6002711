// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), locale-independent, for Date/Last-Modified.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace gatehouse::http {

std::string http_date(std::chrono::system_clock::time_point t);

// http_date(now), formatted once per second per thread: the Date header of every response
// (glibc's gmtime_r takes a process-wide lock, and formatting costs more than the copy).
std::string_view http_date_now();

}  // namespace gatehouse::http
