// The embedding program's own endpoints (BffBuilder::add_local_api) behind the session, CSRF and
// token checks the [[api]] routes have; answered like them, with RFC 9457 problems.
#pragma once

#include <gatehouse/bff_builder.hpp>

#include "http/message.hpp"
#include "proxy/route_table.hpp"
#include "proxy/token_source.hpp"
#include "tickets/ticket_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse::bff {

class LocalApis {
 public:
  // Throws std::invalid_argument naming the path when it is not usable: not absolute, ending in
  // '/', or shadowing `reserved` (the gateway's own endpoints, the [[api]] paths).
  LocalApis(std::vector<LocalApi> apis, const std::vector<std::string>& reserved,
            std::string session_cookie, std::string clear_session_cookie,
            std::shared_ptr<tickets::TicketStore> tickets,
            std::shared_ptr<proxy::TokenSource> tokens);

  bool empty() const { return apis_.empty(); }

  // The answer when `request` is for a local API; nullopt otherwise.
  boost::asio::awaitable<std::optional<http::Response>> handle(http::Request& request);

 private:
  struct Entry {
    LocalApi api;
    proxy::ProxyRoute route;  // what the token source needs: the audience
  };
  const Entry* match(const std::string& path) const;
  boost::asio::awaitable<http::Response> serve(const Entry& entry, http::Request& request);

  std::vector<Entry> apis_;  // longest path first
  std::string session_cookie_;
  std::string clear_session_cookie_;
  std::shared_ptr<tickets::TicketStore> tickets_;
  std::shared_ptr<proxy::TokenSource> tokens_;
};

}  // namespace gatehouse::bff
