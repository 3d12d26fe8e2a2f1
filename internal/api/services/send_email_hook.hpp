#pragma once

// GoTrue's send-email hook (supabase/auth internal/api/mail.go sendEmail,
// internal/hooks/v0hooks SendEmailInput, internal/mailer EmailData): with
// GOTRUE_HOOK_SEND_EMAIL_ENABLED every mail goes to the operator's hook instead of SMTP, as
//   {"metadata": {...}, "user": <GET /user's JSON>,
//    "email_data": {"token", "token_hash", "redirect_to", "email_action_type", "site_url",
//                   "token_new", "token_hash_new", "old_email", "old_phone", "provider",
//                   "factor_type"}}
// over hooks::Invoke (an HTTP hook signed with Standard Webhooks, or a Postgres function in a
// transaction of its own). docs/hooks.md describes the fields and the errors.

#include <string>
#include <string_view>

#include "conf/config.hpp"
#include "hooks/hook.hpp"
#include "mailer/mail_client.hpp"
#include "mailer/mail_intent.hpp"
#include "storage/database.hpp"

namespace gotrue::api {

// MailInput::extra keys of an email change's new-address mail when the hook is on and the change
// is secure: the current address's code and link token. upstream calls the hook once per email
// change with both codes; the current-address mail itself is not handed to the hook.
inline constexpr std::string_view kHookTokenCurrent = "HookTokenCurrent";
inline constexpr std::string_view kHookTokenHashCurrent = "HookTokenHashCurrent";

// upstream's email_action_type of a mail kind (internal/mailer/mailer.go): signup, invite,
// recovery, magiclink, email_change, reauthentication, password_changed_notification, ...
[[nodiscard]] std::string_view EmailActionType(mailer::MailKind kind);

// False for the current-address mail of a secure email change: its new-address sibling carries
// both codes to the hook.
[[nodiscard]] bool HookCarries(const mailer::MailIntent& intent);

// The hook's input for `intent`. site_url is the link base (the mail's external host, else
// API_EXTERNAL_URL) as upstream fills it; redirect_to falls back to GOTRUE_SITE_URL. For an
// email change upstream's pairing is kept: with secure change, token is the current address's
// code, token_hash the new address's link token, token_new the new address's code and
// token_hash_new the current address's link token; without it, token and token_hash are the
// new address's.
[[nodiscard]] std::string SendEmailInput(
    const mailer::MailIntent& intent, const conf::Config& config
);

// Whether a delivery that failed with `error` is worth another attempt (docs/hooks.md).
[[nodiscard]] mailer::FailureKind FailureKindOf(const hooks::HookError& error);

class SendEmailHook final : public mailer::IntentSender {
public:
    // `config` must outlive the hook; config.hook.send_email is the hook it calls.
    SendEmailHook(
        const conf::Config& config, storage::Database& database, hooks::DispatchOptions options = {}
    );

    // Runs the hook for `intent` (nothing when HookCarries is false). `message_id` (angle
    // brackets allowed) becomes the webhook-id of every attempt; empty: a random one. Throws
    // hooks::HookError carrying what the client is answered.
    void Invoke(const mailer::MailIntent& intent, std::string_view message_id = {}) const;

    // IntentSender: Invoke, its failures as mailer::SendError of FailureKindOf.
    void Send(
        const apitask::Context& context,
        const mailer::MailIntent& intent,
        std::string_view message_id
    ) override;

private:
    const conf::Config& config_;
    storage::Database& database_;
    hooks::DispatchOptions options_;
};

}  // namespace gotrue::api
