// "host:port" listen addresses as written in configuration: "127.0.0.1:8080", "[::1]:8080",
// "localhost:0" (port 0 asks the kernel for a free port).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::http {

struct ListenAddress {
  std::string host;  // IP literal (brackets removed) or a name resolved at listen()
  std::uint16_t port = 0;
};

std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace gatehouse::http
