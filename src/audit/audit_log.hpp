// The audit destinations [audit] configures, made once at start-up: the gateway subscribes them
// to its session events, reopens the file on SIGHUP and lets the webhook finish at shutdown.
#pragma once

#include <gatehouse/config/config.hpp>

#include "audit/file_sink.hpp"
#include "audit/webhook_sink.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace gatehouse::audit {

struct AuditLog {
  std::shared_ptr<AuditFileSink> file;        // null without [audit] file
  std::shared_ptr<AuditWebhookSink> webhook;  // null without [audit] webhook; not started yet
};

// Opens the file (throws std::system_error naming it when it cannot) and makes the webhook.
AuditLog open_audit_log(const config::AuditConfig& config, boost::asio::any_io_executor executor);

}  // namespace gatehouse::audit
