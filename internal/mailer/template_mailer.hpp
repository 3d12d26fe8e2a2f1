#pragma once

#include <map>
#include <string>

#include "apitask/context.hpp"
#include "mailer/go_template.hpp"
#include "mailer/mail_client.hpp"
#include "mailer/mail_kind.hpp"
#include "mailer/template_cache.hpp"

namespace gotrue::mailer {

struct MailerSettings {
    std::string site_url;
    std::string external_url;                      // API_EXTERNAL_URL
    std::map<std::string, std::string> subjects;   // GOTRUE_MAILER_SUBJECTS_<KIND>
    std::map<std::string, std::string> url_paths;  // GOTRUE_MAILER_URLPATHS_<KIND>
};

// What a mail is about. Fields a kind does not use stay empty.
struct MailInput {
    std::string email;         // the user's current email: {{ .Email }}, the default recipient
    std::string to;            // recipient when it is not `email` (e.g. the new address)
    std::string new_email;     // {{ .NewEmail }}
    std::string token;         // the OTP digits: {{ .Token }}
    std::string token_hash;    // the stored token: {{ .TokenHash }} and the link's token
    std::string redirect_to;   // {{ .RedirectTo }}, the link's redirect_to
    std::string external_url;  // link base when not API_EXTERNAL_URL (GOTRUE_MAILER_EXTERNAL_HOSTS)
    TemplateValue data = TemplateValue::Object({});  // user_metadata: {{ .Data.key }}
    std::map<std::string, std::string> extra;        // OldEmail, Phone, Provider, FactorType...
};

// Renders the mail of each kind (subject and body, docs/mail.md) and hands it to
// the client chain. Rendering happens on the caller's thread (as upstream); only the send may
// be backgrounded by the chain.
class TemplateMailer final {
public:
    TemplateMailer(MailerSettings settings, TemplateCache& templates, MailClient& client);

    // Renders and sends. Throws InvalidAddressError (bad recipient), SendError (synchronous
    // send failed) or apitask::QueueFullError (pool mode, queue full).
    void Send(const apitask::Context& context, MailKind kind, const MailInput& input);

    [[nodiscard]] Message Render(MailKind kind, const MailInput& input);

    // The link a mail of `kind` carries (also what admin generate_link returns).
    [[nodiscard]] std::string ActionLink(MailKind kind, const MailInput& input) const;

private:
    MailerSettings settings_;
    TemplateCache& templates_;
    MailClient& client_;
    std::map<MailKind, GoTemplate> subjects_;  // parsed at construction
};

}  // namespace gotrue::mailer
