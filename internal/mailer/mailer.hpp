#pragma once

#include <memory>

#include "apitask/worker_pool.hpp"
#include "conf/config.hpp"
#include "mailer/clients.hpp"
#include "mailer/template_cache.hpp"
#include "mailer/template_mailer.hpp"

namespace gotrue::mailer {

// The whole mail pipeline built from configuration (gotrue-contract.md §1.5), owning every
// link of the chain:
//   TemplateMailer -> ValidateClient -> [PoolClient | TaskClient] -> SmtpClient | NoopClient
// PoolClient when GOTRUE_WORKER_ENABLED (it wins), TaskClient when
// GOTRUE_MAILER_EMAIL_BACKGROUND_SENDING, neither otherwise (synchronous sends).
class Mailer final {
public:
    // `transport` replaces SMTP/noop (tests inject faults with it); null: from configuration.
    Mailer(
        const conf::Config& config,
        apitask::WorkerPool& pool,
        std::unique_ptr<MailClient> transport = nullptr
    );

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
