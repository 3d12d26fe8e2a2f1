#include "api/services/mail.hpp"

#include <mutex>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "api/http_types.hpp"
#include "api/services/views.hpp"
#include "apitask/apitask.hpp"
#include "conf/value_parsers.hpp"
#include "crypto/crypto.hpp"
#include "logs/logs.hpp"
#include "mailer/clients.hpp"
#include "mailer/mail_client.hpp"
#include "mailer/template_json.hpp"
#include "models/factor.hpp"
#include "models/identity.hpp"
#include "models/one_time_token.hpp"
#include "models/rate_limit_bucket.hpp"
#include "storage/transaction.hpp"

namespace gotrue::api {
namespace {

constexpr logs::Logger kLog{"api"};

// The code column a preparation changes and its one_time_tokens row, captured so a failed send
// can restore both (they hold different tokens: the code's hash and the link's token).
struct TokenSnapshot {
    std::string user_id;
    models::OneTimeTokenType type;
    std::string token;
    models::OptionalTime sent_at;
    std::optional<models::OneTimeToken> link;
};

TokenSnapshot Snapshot(pqxx::work& tx, const models::User& user, models::OneTimeTokenType type) {
    return {
        user.id,
        type,
        user.TokenOf(type),
        user.SentAtOf(type),
        models::FindOneTimeTokenOfUser(tx, user.id, type),
    };
}

std::function<void(pqxx::work&)> RestoreTokens(std::vector<TokenSnapshot> snapshots) {
    return [snapshots = std::move(snapshots)](pqxx::work& tx) {
        for (const auto& snapshot : snapshots) {
            models::RestoreUserToken(
                tx, snapshot.user_id, snapshot.type, snapshot.token, snapshot.sent_at
            );
            models::DeleteOneTimeToken(tx, snapshot.user_id, snapshot.type);
            if (snapshot.link) {
                models::SetOneTimeToken(tx, *snapshot.link);
            }
        }
    };
}

// Stores a new token of `type`: the code's hash in the users column, and in one_time_tokens
// the link's own random token (the code's hash again for code-only mails, as upstream). Returns
// the link token, "" for code-only mails.
//
// Why two tokens: a link token computed as sha224(address + code) could be found offline from
// the address by trying the 10^6 codes, and then tried on GET /verify, where a miss cannot be
// attributed to any user to bound the guesses.
//
// Upstream GoTrue serving the same database still verifies what this writes: it looks a link's
// token up in one_time_tokens (verifyTokenHash -> models.FindOneTimeToken) and compares a code
// with the users column (verifyUserAndToken). Two cases it does not, both where upstream reads
// the other store: an email-change code (it finds the user through one_time_tokens by the
// code's hash, models.FindUserForEmailChange), and a recovery or magic-link token_hash verified
// with type=email (it tells recovery from confirmation by comparing the token with
// users.recovery_token, so it takes it for a confirmation and checks confirmation_sent_at).
// Tokens written by older versions (link token = code hash) keep working here: links are looked
// up in one_time_tokens, codes compared with the column, whatever either holds.
//
// A PKCE flow prefixes the link token with pkce_ (as upstream's addFlowPrefixToToken), so the
// link, {{ .TokenHash }} and the stored row all carry it.
std::string StoreToken(
    pqxx::work& tx,
    const models::User& user,
    models::OneTimeTokenType type,
    const std::string& address,
    models::FlowType flow
) {
    // The reauthentication mail carries a code only.
    const bool with_link = type != models::OneTimeTokenType::kReauthentication;
    std::string link_token =
        with_link ? models::WithFlowPrefix(crypto::GenerateLinkToken(), flow) : std::string();
    models::SetOneTimeToken(
        tx, {user.id, type, with_link ? link_token : user.TokenOf(type), address}
    );
    return link_token;
}

// A new code of `type` on the user row (its hash, pkce_-prefixed in a PKCE flow as upstream
// stores it; sent now); returns the code.
std::string NewCode(
    models::User& user,
    models::OneTimeTokenType type,
    const std::string& address,
    int length,
    models::FlowType flow
) {
    const auto& info = models::InfoOf(type);
    std::string otp = crypto::GenerateOtp(length);
    user.*info.token = models::WithFlowPrefix(crypto::GenerateTokenHash(address, otp), flow);
    user.*info.sent_at = models::Now();
    return otp;
}

std::string WholeSecondsLeft(std::chrono::microseconds left) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(left).count());
}

}  // namespace

MailService::MailService(
    const conf::Config& config,
    mailer::TemplateMailer& mailer,
    storage::Database& database,
    outbox::Outbox* outbox
)
    : config_(config), mailer_(mailer), database_(database), outbox_(outbox) {
    // In a background mode the hook is the outbox's sender (cmd/serve.cpp); here it serves the
    // synchronous mode only.
    if (config.hook.send_email.enabled && outbox == nullptr) {
        hook_ = std::make_unique<SendEmailHook>(config, database);
    }
    // "N" = N per hour; "N/<duration>" = a bucket of N refilled one mail per duration.
    const std::string& spec = config.rate_limit.email_sent;
    const auto slash = spec.find('/');
    try {
        budget_capacity_ = conf::ParseNumber(spec.substr(0, slash));
        if (slash == std::string::npos) {
            budget_refill_per_s_ = budget_capacity_ / 3600.0;
        } else {
            const auto period = conf::ParseDuration(spec.substr(slash + 1));
            budget_refill_per_s_ =
                period.count() > 0 ? 1000.0 / static_cast<double>(period.count()) : 0;
        }
    } catch (const std::exception& error) {
        kLog.Warn(
            "GOTRUE_RATE_LIMIT_EMAIL_SENT is not N or N/<duration>, using 30 per hour",
            {{"value", spec}}
        );
        budget_capacity_ = 30;
        budget_refill_per_s_ = 30 / 3600.0;
    }
}

void MailService::CheckFrequency(const models::OptionalTime& sent_at) const {
    if (!sent_at) {
        return;
    }
    const auto next =
        *sent_at +
        std::chrono::duration_cast<std::chrono::microseconds>(config_.smtp.max_frequency);
    const auto now = models::Now();
    if (next > now) {
        throw TooManyRequests(
            kOverEmailSendRateLimit,
            "For security purposes, you can only request this after " +
                WholeSecondsLeft(next - now) + " seconds."
        )
            .WithHeader("Retry-After", WholeSecondsLeft(next - now + std::chrono::seconds(1)));
    }
}

void MailService::TakeFromBudget(pqxx::work& tx) const {
    if (budget_capacity_ <= 0) {
        throw TooManyRequests(kOverEmailSendRateLimit, "email rate limit exceeded");
    }
    if (config_.mailer.autoconfirm) {
        return;  // upstream does not consult the budget with autoconfirm (except 0, above)
    }
    // A token bucket in auth.rate_limit_buckets: the row lock orders concurrent senders across
    // instances; a refusal rolls the whole transaction (and this decrement) back.
    const double left = models::TakeToken(tx, "email_sent", budget_capacity_, budget_refill_per_s_);
    if (left < 0) {
        throw TooManyRequests(kOverEmailSendRateLimit, "email rate limit exceeded")
            .WithHeader("Retry-After", "60");
    }
}

mailer::MailInput MailService::BaseInput(const models::User& user, const std::string& redirect_to) {
    mailer::MailInput input;
    input.email = user.email;
    input.redirect_to = redirect_to;
    input.data = mailer::TemplateValueFromJson(ParseStoredObject(user.raw_user_meta_data));
    return input;
}

namespace {

// The user as GET /user shows it, read in `tx`: the send-email hook's `user`.
std::string HookUserJson(pqxx::work& tx, const models::User& user) {
    return UserJson(
        user, models::FindIdentitiesByUser(tx, user.id), models::FindFactorsByUser(tx, user.id)
    );
}

}  // namespace

std::string MailService::HookUser(pqxx::work& tx, const models::User& user) const {
    return hook_ ? HookUserJson(tx, user) : std::string();
}

OutgoingMail MailService::PrepareToken(
    pqxx::work& tx, models::User& user, const TokenMail& token_mail, const std::string& redirect_to
) const {
    if (token_mail.check_frequency) {
        CheckFrequency(user.SentAtOf(token_mail.type));
    }
    if (token_mail.take_from_budget) {
        TakeFromBudget(tx);
    }
    const TokenSnapshot snapshot = Snapshot(tx, user, token_mail.type);
    const std::string otp =
        NewCode(user, token_mail.type, user.email, config_.mailer.otp_length, token_mail.flow);
    models::SaveUser(tx, user);
    OutgoingMail mail;
    mail.kind = token_mail.kind;
    mail.input = BaseInput(user, redirect_to);
    mail.input.token = otp;
    mail.input.token_hash = StoreToken(tx, user, token_mail.type, user.email, token_mail.flow);
    mail.failure_message = token_mail.failure_message;
    mail.undo = RestoreTokens({snapshot});
    mail.user_json = HookUser(tx, user);
    mail.user_id = user.id;
    return mail;
}

OutgoingMail MailService::PrepareConfirmation(
    pqxx::work& tx,
    models::User& user,
    const std::string& redirect_to,
    Throttle throttle,
    models::FlowType flow
) const {
    const bool limited = throttle == Throttle::kApply;
    return PrepareToken(
        tx,
        user,
        {.type = models::OneTimeTokenType::kConfirmation,
         .kind = mailer::MailKind::kConfirmation,
         .failure_message = "Error sending confirmation email",
         .check_frequency = limited,
         .take_from_budget = limited,
         .flow = flow},
        redirect_to
    );
}

OutgoingMail MailService::PrepareInvite(
    pqxx::work& tx, models::User& user, const std::string& redirect_to
) const {
    return PrepareToken(
        tx,
        user,
        {.type = models::OneTimeTokenType::kConfirmation,
         .kind = mailer::MailKind::kInvite,
         .failure_message = "Error sending invite email",
         .check_frequency = false,
         .take_from_budget = true},
        redirect_to
    );
}

// Magic links share the recovery token and its MaxFrequency column (docs/mail.md).
OutgoingMail MailService::PrepareRecovery(
    pqxx::work& tx,
    models::User& user,
    const std::string& redirect_to,
    mailer::MailKind kind,
    Throttle throttle,
    models::FlowType flow
) const {
    const bool limited = throttle == Throttle::kApply;
    return PrepareToken(
        tx,
        user,
        {.type = models::OneTimeTokenType::kRecovery,
         .kind = kind,
         .failure_message = kind == mailer::MailKind::kMagicLink ? "Error sending magic link email"
                                                                 : "Error sending recovery email",
         .check_frequency = limited,
         .take_from_budget = limited,
         .flow = flow},
        redirect_to
    );
}

std::vector<OutgoingMail> MailService::PrepareEmailChange(
    pqxx::work& tx,
    models::User& user,
    const std::string& new_email,
    const std::string& redirect_to,
    Throttle throttle,
    models::FlowType flow
) const {
    using models::OneTimeTokenType;
    if (throttle == Throttle::kApply) {
        CheckFrequency(user.email_change_sent_at);
        TakeFromBudget(tx);
    }
    std::vector<TokenSnapshot> snapshots{
        Snapshot(tx, user, OneTimeTokenType::kEmailChangeNew),
        Snapshot(tx, user, OneTimeTokenType::kEmailChangeCurrent),
    };
    const std::string previous_change = user.email_change;
    user.email_change = new_email;
    user.email_change_confirm_status = 0;
    const std::string otp_new = NewCode(
        user, OneTimeTokenType::kEmailChangeNew, new_email, config_.mailer.otp_length, flow
    );
    const bool secure = config_.mailer.secure_email_change_enabled && !user.email.empty();
    std::string otp_current;
    if (secure) {
        otp_current = NewCode(
            user, OneTimeTokenType::kEmailChangeCurrent, user.email, config_.mailer.otp_length, flow
        );
    } else {
        user.email_change_token_current.clear();
    }
    models::SaveUser(tx, user);
    const std::string link_new =
        StoreToken(tx, user, OneTimeTokenType::kEmailChangeNew, new_email, flow);
    std::string link_current;
    if (secure) {
        link_current =
            StoreToken(tx, user, OneTimeTokenType::kEmailChangeCurrent, user.email, flow);
    }
    auto restore_tokens = RestoreTokens(snapshots);
    const std::string user_id = user.id;
    auto undo = [restore_tokens, previous_change, user_id](pqxx::work& undo_tx) {
        restore_tokens(undo_tx);
        models::RestorePendingEmailChange(undo_tx, user_id, previous_change);
    };
    std::vector<OutgoingMail> mails{ChangeMail(user, redirect_to, new_email, otp_new, link_new)};
    if (secure) {
        mails.push_back(ChangeMail(user, redirect_to, user.email, otp_current, link_current));
        if (config_.hook.send_email
                .enabled) {  // one hook call carries both codes (send_email_hook.hpp)
            mails[0].input.extra[std::string(kHookTokenCurrent)] = otp_current;
            mails[0].input.extra[std::string(kHookTokenHashCurrent)] = link_current;
        }
    }
    const std::string user_json = HookUser(tx, user);
    for (auto& mail : mails) {
        mail.undo = undo;
        mail.user_json = user_json;
    }
    return mails;
}

OutgoingMail MailService::ChangeMail(
    const models::User& user,
    const std::string& redirect_to,
    const std::string& to,
    const std::string& otp,
    const std::string& link_token
) {
    OutgoingMail mail;
    mail.kind = mailer::MailKind::kEmailChange;
    mail.input = BaseInput(user, redirect_to);
    mail.input.to = to;
    mail.input.new_email = user.email_change;
    mail.input.token = otp;
    mail.input.token_hash = link_token;
    mail.failure_message = "Error sending email change email";
    mail.user_id = user.id;
    return mail;
}

OutgoingMail MailService::PrepareReauthentication(pqxx::work& tx, models::User& user) const {
    return PrepareToken(
        tx,
        user,
        {.type = models::OneTimeTokenType::kReauthentication,
         .kind = mailer::MailKind::kReauthentication,
         .failure_message = "Error sending reauthentication email",
         .check_frequency = true,
         .take_from_budget = true},
        ""
    );
}

void MailService::Enqueue(pqxx::work& tx, const Request& request, OutgoingMail& mail) const {
    EnqueueAll(tx, request, std::span<OutgoingMail>(&mail, 1));
}

void MailService::Enqueue(pqxx::work& tx, const Request& request, std::vector<OutgoingMail>& mails)
    const {
    EnqueueAll(tx, request, mails);
}

void MailService::EnqueueAll(pqxx::work& tx, const Request& request, std::span<OutgoingMail> mails)
    const {
    if (outbox_ == nullptr || mails.empty()) {
        return;
    }
    for (const auto& mail : mails) {
        const std::string& to = mail.input.to.empty() ? mail.input.email : mail.input.to;
        if (!mailer::IsValidEmail(to)) {
            throw BadRequest(kEmailAddressInvalid, "Email address \"" + to + "\" is invalid");
        }
    }
    // The user as this transaction leaves it, read once for the mails of one preparation (they
    // are all the same user's): what the send-email hook receives as `user`. Without the hook
    // nothing reads it, so the three reads are skipped (a row queued before the hook was enabled
    // reaches it with `user: null`), as the secure email change's second code is stored only
    // with the hook enabled.
    std::string user_json;
    if (config_.hook.send_email.enabled) {
        if (const auto user = models::FindUserById(tx, mails.front().user_id)) {
            user_json = HookUserJson(tx, *user);
        }
    }
    for (auto& mail : mails) {
        mailer::MailIntent intent{mail.kind, mail.input, user_json};
        auto claim = outbox_->Enqueue(tx, intent, request.request_id);
        mail.stored = OutgoingMail::Stored{std::move(claim), std::move(intent)};
    }
}

std::optional<HttpError> MailService::SendOrUndo(
    const apitask::Context& context, const std::string& request_id, OutgoingMail& mail
) {
    const auto undo = [&] {
        if (!mail.undo) {
            return;
        }
        try {
            storage::WithTransaction(database_, mail.undo);
        } catch (const std::exception& error) {
            kLog.Error(
                "could not undo a mail preparation",
                {{"request_id", request_id}, {"error", error.what()}}
            );
        }
    };
    if (hook_) {
        // Synchronous mode: the hook replaces SMTP (background modes: the outbox's sender).
        try {
            hook_->Invoke({mail.kind, mail.input, mail.user_json});
            return std::nullopt;
        } catch (const hooks::HookError& error) {
            undo();
            return HttpError(error.Status(), error.Code(), error.what(), error.Internal());
        }
    }
    try {
        mailer_.Send(context, mail.kind, mail.input);
        return std::nullopt;
    } catch (const mailer::InvalidAddressError&) {
        undo();
        const std::string to = mail.input.to.empty() ? mail.input.email : mail.input.to;
        return BadRequest(kEmailAddressInvalid, "Email address \"" + to + "\" is invalid");
    } catch (const mailer::SendError& error) {
        undo();
        return HttpError(500, kUnexpectedFailure, mail.failure_message, error.what());
    } catch (const apitask::QueueFullError&) {
        undo();
        throw;
    }
}

void MailService::SendNow(Request& request, std::vector<OutgoingMail>& mails) {
    for (auto& mail : mails) {
        if (auto error = SendOrUndo(request.tasks, request.request_id, mail)) {
            throw HttpError(*error);
        }
    }
}

void MailService::Deliver(Request& request, OutgoingMail& mail) {
    std::vector<OutgoingMail> mails;
    mails.push_back(std::move(mail));
    DeliverAll(request, mails);
}

void MailService::DeliverAll(Request& request, std::vector<OutgoingMail>& mails) {
    std::vector<OutgoingMail> unstored;
    for (auto& mail : mails) {
        if (mail.stored) {  // committed with the request: the outbox delivers it
            outbox_->Dispatch(request.tasks, mail.stored->claim, std::move(mail.stored->intent));
            continue;
        }
        if (outbox_ != nullptr) {
            // A call site that skipped Enqueue: still sent, but not durably. A mistake to fix.
            kLog.Error(
                "background mail was not stored in the outbox before the commit",
                {{"request_id", request.request_id}, {"mail_type", mailer::InfoOf(mail.kind).type}}
            );
        }
        unstored.push_back(std::move(mail));
    }
    if (unstored.empty()) {
        return;
    }
    const bool background = config_.mailer.email_background_sending || config_.worker.enabled;
    if (background || request.tasks.Pool() == nullptr || request.tasks.HasWorker()) {
        SendNow(request, unstored);
        return;
    }
    SendAfterHandler(request, std::move(unstored));
}

namespace {

// How the synchronous sends of one request ended, written by their task and read by the
// response's completion step.
struct SyncOutcome {
    std::mutex mutex;
    std::optional<HttpError> error;  // guarded by mutex
};

}  // namespace

// Synchronous mode without a thread waiting for SMTP (README "Threading model"): the sends run
// in order as one task on the worker pool, and the response waits for it, with no deadline, as
// the request-scoped mode's does: the data is committed, so the client gets the real answer. The
// first failure undoes its preparation and stops the rest, as the inline loop does, and turns
// the handler's response into GoTrue's error. A full pool sends on this thread instead.
void MailService::SendAfterHandler(Request& request, std::vector<OutgoingMail> mails) {
    const auto pending = std::make_shared<std::vector<OutgoingMail>>(std::move(mails));
    const auto outcome = std::make_shared<SyncOutcome>();
    const apitask::Context waited = request.tasks.WithDeadline(std::nullopt).WithWorker();
    try {
        // Queued with a deadline already passed: never waits for room in the queue.
        apitask::Run(
            waited.WithDeadline(apitask::Context::Clock::now()),
            apitask::MakeTask(
                "mailer.synchronous",
                [this, pending, outcome, request_id = request.request_id](
                    const apitask::Context& context
                ) {
                    for (auto& mail : *pending) {
                        if (auto error = SendOrUndo(context, request_id, mail)) {
                            const std::scoped_lock lock(outcome->mutex);
                            outcome->error = std::move(error);
                            return apitask::TaskResult::Failure(outcome->error->Internal());
                        }
                    }
                    return apitask::TaskResult::Ok();
                }
            )
        );
    } catch (const apitask::QueueFullError&) {
        SendNow(request, *pending);
        return;
    }
    request.tasks = waited;
    Request error_context;  // what RenderError reads: the error format and the request id
    error_context.headers = request.headers;
    error_context.request_id = request.request_id;
    request.response_steps.emplace_back([outcome, error_context](Response& response) {
        const std::scoped_lock lock(outcome->mutex);
        if (!outcome->error) {
            return;
        }
        Response error = RenderError(*outcome->error, error_context);
        response.status = error.status;
        response.body = std::move(error.body);
        for (const auto& [name, value] : error.headers.All()) {
            response.headers.Set(name, value);
        }
    });
}

}  // namespace gotrue::api
