#pragma once

// The mail side of the auth flows (docs/mail.md): inside a handler's transaction a mail is
// prepared (throttles checked, token created and stored, the undo recorded) and, in a background
// mode, enqueued: its intent is stored in the outbox in that same transaction, so the row exists
// iff the request commits. After the commit it is delivered: in synchronous mode through the
// mailer chain, where a failed send runs the undo in a new transaction and answers GoTrue's 500
// "Error sending ... email", so nothing stays written; in background modes the stored row is
// handed to an apitask or the pool and a failed send is only recorded and retried.

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "api/http_types.hpp"
#include "api/services/send_email_hook.hpp"
#include "conf/config.hpp"
#include "mailer/mail_kind.hpp"
#include "mailer/template_mailer.hpp"
#include "models/flow_state.hpp"
#include "models/user.hpp"
#include "models/vocabulary.hpp"
#include "outbox/outbox.hpp"
#include "storage/database.hpp"

namespace gotrue::api {

// A mail prepared inside a transaction, to be delivered after its commit.
struct OutgoingMail {
    mailer::MailKind kind{};
    mailer::MailInput input;
    std::string failure_message;  // GoTrue's 500 message, e.g. "Error sending confirmation email"
    std::function<void(pqxx::work&)> undo;  // restores what the preparation wrote
    // The user as GET /user shows it when the mail was prepared: the send-email hook's `user`
    // (filled only when that hook is enabled).
    std::string user_json;
    std::string user_id;  // whose mail (its JSON goes with a stored intent)

    // Set by MailService::Enqueue in a background mode: the outbox row and what it holds.
    struct Stored {
        outbox::Claim claim;
        mailer::MailIntent intent;
    };

    std::optional<Stored> stored;
};

// Whether a preparation applies the sending limits (MaxFrequency and the shared budget). Admin
// generate_link applies none: it returns the link and sends no mail.
enum class Throttle { kApply, kNone };

class MailService final {
public:
    // `outbox`: where a background mode stores mail (null: synchronous sending).
    MailService(
        const conf::Config& config,
        mailer::TemplateMailer& mailer,
        storage::Database& database,
        outbox::Outbox* outbox = nullptr
    );

    // Confirmation (signup, resend): MaxFrequency on confirmation_sent_at, the global budget, a
    // new confirmation token stored on `user` and in one_time_tokens. With FlowType::kPkce the
    // stored tokens (code hash and link) carry the pkce_ prefix (api/services/pkce.hpp); the
    // caller has stored the flow state.
    [[nodiscard]] OutgoingMail PrepareConfirmation(
        pqxx::work& tx,
        models::User& user,
        const std::string& redirect_to,
        Throttle throttle = Throttle::kApply,
        models::FlowType flow = models::FlowType::kImplicit
    ) const;

    // Recovery / magic link: MaxFrequency on recovery_sent_at (shared), recovery token.
    [[nodiscard]] OutgoingMail PrepareRecovery(
        pqxx::work& tx,
        models::User& user,
        const std::string& redirect_to,
        mailer::MailKind kind,
        Throttle throttle = Throttle::kApply,
        models::FlowType flow = models::FlowType::kImplicit
    ) const;

    // Email change to `new_email`: the mail(s) carry email_change_token_new (to the new address)
    // and, with secure email change, email_change_token_current (to the current one).
    [[nodiscard]] std::vector<OutgoingMail> PrepareEmailChange(
        pqxx::work& tx,
        models::User& user,
        const std::string& new_email,
        const std::string& redirect_to,
        Throttle throttle = Throttle::kApply,
        models::FlowType flow = models::FlowType::kImplicit
    ) const;

    // Reauthentication code (nonce for PUT /user).
    [[nodiscard]] OutgoingMail PrepareReauthentication(pqxx::work& tx, models::User& user) const;

    // Invitation (POST /invite): the confirmation token, sent as the invite mail; no MaxFrequency.
    [[nodiscard]] OutgoingMail PrepareInvite(
        pqxx::work& tx, models::User& user, const std::string& redirect_to
    ) const;

    // Inside the handler's transaction, right after the preparation: in a background mode checks
    // the recipient (400 email_address_invalid, which rolls everything back) and stores the
    // mail's intent in the outbox, in `tx`. Nothing in synchronous mode.
    void Enqueue(pqxx::work& tx, const Request& request, OutgoingMail& mail) const;
    void Enqueue(pqxx::work& tx, const Request& request, std::vector<OutgoingMail>& mails) const;

    // After the commit: a stored mail is handed to the outbox; otherwise sends `mail`, or with
    // GOTRUE_HOOK_SEND_EMAIL_ENABLED hands it to the hook instead (no SMTP mail at all); throws
    // HttpError (and undoes) when a synchronous send or the hook fails, or the address is
    // invalid. A failing hook answers the client with its own status and message, as upstream
    // passes the hook's error through. In synchronous mode with a worker pool, the send runs
    // after the handler returned and its failure becomes the response (SendAfterHandler).
    void Deliver(Request& request, OutgoingMail& mail);

    // Deliver for several mails of one request, in order; the first failure stops the rest.
    void DeliverAll(Request& request, std::vector<OutgoingMail>& mails);

    // Throws 429 over_email_send_rate_limit when `sent_at` is within GOTRUE_SMTP_MAX_FREQUENCY.
    void CheckFrequency(const models::OptionalTime& sent_at) const;

    // Takes one mail from the shared budget (GOTRUE_RATE_LIMIT_EMAIL_SENT) inside `tx`: 429
    // "email rate limit exceeded" when it is spent. Shared through the database so several
    // server instances enforce one limit.
    void TakeFromBudget(pqxx::work& tx) const;

private:
    // Sends `mail` now; on failure runs its undo and returns the error the client gets.
    [[nodiscard]] std::optional<HttpError> SendOrUndo(
        const apitask::Context& context, const std::string& request_id, OutgoingMail& mail
    );

    // Sends `mails` in order on this thread; the first failure (undone) is thrown.
    void SendNow(Request& request, std::vector<OutgoingMail>& mails);

    void SendAfterHandler(Request& request, std::vector<OutgoingMail> mails);

    // A mail carrying one code (and, but for reauthentication, a link) of `type`.
    struct TokenMail {
        models::OneTimeTokenType type;
        mailer::MailKind kind;
        std::string failure_message;
        bool check_frequency;  // MaxFrequency on the type's *_sent_at
        bool take_from_budget;
        models::FlowType flow = models::FlowType::kImplicit;  // kPkce: tokens get pkce_
    };

    // Throttles as `mail` says, creates a token of its type, stores it on the user row and in
    // one_time_tokens, and records how to undo that.
    [[nodiscard]] OutgoingMail PrepareToken(
        pqxx::work& tx, models::User& user, const TokenMail& mail, const std::string& redirect_to
    ) const;

    // One mail of an email change, to `to`, carrying `otp` and the link's token.
    [[nodiscard]] static OutgoingMail ChangeMail(
        const models::User& user,
        const std::string& redirect_to,
        const std::string& to,
        const std::string& otp,
        const std::string& link_token
    );

    [[nodiscard]] static mailer::MailInput BaseInput(
        const models::User& user, const std::string& redirect_to
    );

    // Enqueue for the mails of one preparation (one user's).
    void EnqueueAll(pqxx::work& tx, const Request& request, std::span<OutgoingMail> mails) const;

    // The send-email hook's `user` for `user`; "" when the hook is off.
    [[nodiscard]] std::string HookUser(pqxx::work& tx, const models::User& user) const;

    const conf::Config& config_;
    mailer::TemplateMailer& mailer_;
    storage::Database& database_;
    outbox::Outbox* outbox_;
    std::unique_ptr<SendEmailHook> hook_;  // synchronous mode with the send-email hook enabled
    double budget_capacity_ = 30;          // mails
    double budget_refill_per_s_ = 0;       // mails per second
};

}  // namespace gotrue::api
