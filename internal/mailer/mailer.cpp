#include "mailer/mailer.hpp"

#include <utility>

#include "logs/logs.hpp"
#include "mailer/smtp_client.hpp"

namespace gotrue::mailer {

constexpr logs::Logger kLog{"mailer"};

std::unique_ptr<MailClient> ConfiguredTransport(const conf::Config& config) {
    if (config.smtp.host.empty()) {
        return std::make_unique<NoopClient>(config.site_url);
    }
    return std::make_unique<SmtpClient>(config.smtp);
}

Mailer::Mailer(
    const conf::Config& config, apitask::WorkerPool& pool, std::unique_ptr<MailClient> transport
)
    : transport_(std::move(transport)) {
    if (!transport_) {
        transport_ = ConfiguredTransport(config);
    }
    MailClient* next = transport_.get();
    if (config.worker.enabled) {
        background_ = std::make_unique<PoolClient>(*next, pool);
        next = background_.get();
    } else if (config.mailer.email_background_sending) {
        background_ = std::make_unique<TaskClient>(*next);
        next = background_.get();
    }
    validate_ = std::make_unique<ValidateClient>(*next);
    templates_ = std::make_unique<TemplateCache>(TemplateCacheOptions{
        config.site_url,
        config.mailer.templates,
        config.mailer.template_max_size,
        config.mailer.template_max_age,
        config.mailer.template_retry_interval,
        std::chrono::seconds(10),
    });
    mailer_ = std::make_unique<TemplateMailer>(
        MailerSettings{
            config.site_url,
            config.api.external_url,
            config.mailer.subjects,
            config.mailer.url_paths},
        *templates_,
        *validate_
    );
    kLog.Info(
        "mailer ready",
        {{"transport", config.smtp.host.empty() ? "noop" : "smtp"},
         {"mode",
          config.worker.enabled
              ? "worker_pool"
              : (config.mailer.email_background_sending ? "request_background" : "synchronous")}}
    );
}

}  // namespace gotrue::mailer
