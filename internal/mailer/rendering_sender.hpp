#pragma once

#include <string_view>

#include "mailer/mail_client.hpp"
#include "mailer/mail_intent.hpp"
#include "mailer/template_mailer.hpp"

namespace gotrue::mailer {

// The default IntentSender: renders the intent (TemplateMailer::Render, which may fetch a custom
// template over HTTP, so it runs at delivery and outside any transaction) and hands the message
// to the transport (SMTP or noop) with the stored mail's Message-ID.
class RenderingSender final : public IntentSender {
public:
    RenderingSender(TemplateMailer& templates, MailClient& transport)
        : templates_(templates), transport_(transport) {}

    void Send(
        const apitask::Context& context, const MailIntent& intent, std::string_view message_id
    ) override;

private:
    TemplateMailer& templates_;
    MailClient& transport_;
};

}  // namespace gotrue::mailer
