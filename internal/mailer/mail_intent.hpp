#pragma once

// A mail before it is rendered: what it is about and for whom. The outbox stores this (not the
// rendered message) in the request's transaction, and the sender that delivers it later either
// renders it and hands it to SMTP, or, with GoTrue's send-email hook, passes its data to the hook
// instead (supabase/auth internal/hooks/v0hooks, SendEmailInput).

#include <string>
#include <string_view>

#include "apitask/context.hpp"
#include "mailer/mail_kind.hpp"
#include "mailer/template_mailer.hpp"

namespace gotrue::mailer {

struct MailIntent {
    MailKind kind{};
    MailInput input;
    // The user as the API renders it (GET /user's JSON) when the mail was prepared; the
    // send-email hook's `user`.
    std::string user_json;
};

// Delivers one intent. Throws SendError (transient: retry later; permanent: give up) when it
// was not accepted. `message_id` (angle brackets included) is stable across the attempts of one
// stored mail; empty when the intent was never stored.
class IntentSender {
public:
    virtual ~IntentSender() = default;
    virtual void Send(
        const apitask::Context& context, const MailIntent& intent, std::string_view message_id
    ) = 0;
};

}  // namespace gotrue::mailer
