#include "mailer/template_mailer.hpp"

#include <utility>

#include "logs/logs.hpp"
#include "mailer/confirmation_url.hpp"

namespace gotrue::mailer {

constexpr logs::Logger kLog{"mailer"};

TemplateMailer::TemplateMailer(
    MailerSettings settings, TemplateCache& templates, MailClient& client
)
    : settings_(std::move(settings)), templates_(templates), client_(client) {
    for (const auto& info : AllMailKinds()) {
        std::string subject(info.default_subject);
        if (const auto it = settings_.subjects.find(std::string(info.config_key));
            it != settings_.subjects.end() && !it->second.empty()) {
            subject = it->second;
        }
        try {
            GoTemplate parsed = GoTemplate::Parse(subject, "subject");
            // html/template's escaping errors surface at the first render; they do not depend on
            // the data, so an empty render finds them now rather than at send time.
            (void)parsed.Render({});
            subjects_.emplace(info.kind, std::move(parsed));
        } catch (const TemplateError& error) {
            // A custom subject that does not parse (or that html/template refuses) is rejected
            // now, not at send time.
            kLog.Error(
                "custom mail subject rejected, using the built-in one",
                {{"mail_type", info.type}, {"error", error.what()}}
            );
            subjects_.emplace(info.kind, GoTemplate::Parse(info.default_subject, "subject"));
        }
    }
}

std::string TemplateMailer::ActionLink(MailKind kind, const MailInput& input) const {
    const MailKindInfo& info = InfoOf(kind);
    if (info.link_type.empty()) {
        return {};
    }
    std::string path = "/verify";
    if (const auto it = settings_.url_paths.find(std::string(info.url_path_key));
        it != settings_.url_paths.end() && !it->second.empty()) {
        path = it->second;
    }
    const std::string redirect = input.redirect_to.empty() ? settings_.site_url : input.redirect_to;
    return ConfirmationUrl(
        input.external_url.empty() ? settings_.external_url : input.external_url,
        path,
        input.token_hash,
        info.link_type,
        redirect
    );
}

Message TemplateMailer::Render(MailKind kind, const MailInput& input) {
    const MailKindInfo& info = InfoOf(kind);
    const std::string to = input.to.empty() ? input.email : input.to;
    TemplateData data{
        {"SiteURL", TemplateValue::String(settings_.site_url)},
        {"Email", TemplateValue::String(input.email)},
        {"SendingTo", TemplateValue::String(to)},
        {"Data", input.data},
    };
    if (!info.link_type.empty()) {
        data["ConfirmationURL"] = TemplateValue::String(ActionLink(kind, input));
        data["TokenHash"] = TemplateValue::String(input.token_hash);
        data["RedirectTo"] = TemplateValue::String(
            input.redirect_to.empty() ? settings_.site_url : input.redirect_to
        );
    }
    if (!input.token.empty()) {
        data["Token"] = TemplateValue::String(input.token);
    }
    if (!input.new_email.empty()) {
        data["NewEmail"] = TemplateValue::String(input.new_email);
    }
    for (const auto& [key, value] : input.extra) {
        data[key] = TemplateValue::String(value);
    }
    Message message;
    message.to = to;
    message.type = std::string(info.type);
    // GoTrue renders subjects with html/template too ("Smith &amp; Sons"): operators' subjects
    // were written against that, so they render the same here (line breaks are removed later).
    message.subject = subjects_.at(kind).Render(data, true);
    try {
        message.html = templates_.Body(kind)->Render(data, true);
    } catch (const TemplateError& error) {
        // A custom template can still fail on this mail's data (a field of a string, say):
        // the mail goes out with the built-in body rather than broken or not at all.
        kLog.Error(
            "mail template failed to render, using the built-in one",
            {{"mail_type", info.type}, {"error", error.what()}}
        );
        message.html = TemplateCache::BuiltIn(kind)->Render(data, true);
    }
    return message;
}

void TemplateMailer::Send(const apitask::Context& context, MailKind kind, const MailInput& input) {
    client_.Send(context, Render(kind, input));
}

}  // namespace gotrue::mailer
