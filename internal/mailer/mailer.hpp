#pragma once

#include <memory>

#include "apitask/worker_pool.hpp"
#include "conf/config.hpp"
#include "mailer/clients.hpp"
#include "mailer/template_cache.hpp"
#include "mailer/template_mailer.hpp"

namespace gotrue::mailer {

// The whole mail pipeline built from configuration (docs/mail.md), owning every link of the
// chain:
//   TemplateMailer -> ValidateClient -> [background link] -> SmtpClient | NoopClient
// The background link exists when GOTRUE_WORKER_ENABLED or
// GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING is set (synchronous sends otherwise): the in-memory
// PoolClient (GOTRUE_WORKER_ENABLED wins) or TaskClient. The server's durable background mail
// does not go through this chain: the outbox stores intents in the request's transaction (see
// outbox/outbox.hpp).
// The transport the configuration names: SMTP, or the noop client without GOTRUE_SMTP_HOST.
[[nodiscard]] std::unique_ptr<MailClient> ConfiguredTransport(const conf::Config& config);

class Mailer final {
public:
    // `transport` replaces SMTP/noop (tests inject faults with it); null: from configuration.
    Mailer(
        const conf::Config& config,
        apitask::WorkerPool& pool,
        std::unique_ptr<MailClient> transport = nullptr
    );

    // The SMTP or noop client at the end of the chain.
    [[nodiscard]] MailClient& Transport() { return *transport_; }

    [[nodiscard]] TemplateMailer& Templates() { return *mailer_; }

    // Fetches configured custom templates now, so a bad one is reported at startup.
    void Preload() { templates_->Preload(); }

private:
    std::unique_ptr<MailClient> transport_;
    std::unique_ptr<MailClient> background_;
    std::unique_ptr<MailClient> validate_;
    std::unique_ptr<TemplateCache> templates_;
    std::unique_ptr<TemplateMailer> mailer_;
};

}  // namespace gotrue::mailer
