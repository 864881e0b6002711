#include "audit/audit_log.hpp"

namespace gatehouse::audit {

AuditLog open_audit_log(const config::AuditConfig& config, boost::asio::any_io_executor executor) {
  AuditLog log;
  const auto queue = static_cast<std::size_t>(config.queue);
  if (config.file)
    log.file = std::make_shared<AuditFileSink>(AuditFileOptions{*config.file, queue});
  if (!config.webhook.empty())
    log.webhook = std::make_shared<AuditWebhookSink>(
        std::move(executor), AuditWebhookOptions{.url = config.webhook, .queue = queue});
  return log;
}

}  // namespace gatehouse::audit
