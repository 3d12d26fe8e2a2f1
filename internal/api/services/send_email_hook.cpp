#include "api/services/send_email_hook.hpp"

#include <utility>

#include "api/services/views.hpp"
#include "models/time.hpp"
#include "observability/request_id.hpp"
#include "storage/transaction.hpp"

namespace gotrue::api {
namespace {

using mailer::MailKind;

std::string Extra(const mailer::MailInput& input, std::string_view key) {
    const auto it = input.extra.find(std::string(key));
    return it == input.extra.end() ? std::string() : it->second;
}

// The email_data values, in upstream's EmailData field order.
struct EmailData {
    std::string token;
    std::string token_hash;
    std::string redirect_to;
    std::string email_action_type;
    std::string site_url;
    std::string token_new;
    std::string token_hash_new;
    std::string old_email;
    std::string old_phone;
    std::string provider;
    std::string factor_type;
};

EmailData DataOf(const mailer::MailIntent& intent, const conf::Config& config) {
    const mailer::MailInput& input = intent.input;
    EmailData data;
    data.token = input.token;
    data.token_hash = input.token_hash;
    data.redirect_to = input.redirect_to.empty() ? config.site_url : input.redirect_to;
    data.email_action_type = EmailActionType(intent.kind);
    data.site_url = input.external_url.empty() ? config.api.external_url : input.external_url;
    if (intent.kind == MailKind::kEmailChange &&
        input.extra.contains(std::string(kHookTokenCurrent))) {
        // upstream's mismatched pairing (mail.go, "BUG(cstockton)"): kept, hooks rely on it.
        data.token = Extra(input, kHookTokenCurrent);
        data.token_new = input.token;
        data.token_hash_new = Extra(input, kHookTokenHashCurrent);
    }
    data.old_email = Extra(input, "OldEmail");
    data.old_phone = Extra(input, "OldPhone");
    data.provider = Extra(input, "Provider");
    data.factor_type = Extra(input, "FactorType");
    return data;
}

// webhook-id without the Message-ID's angle brackets.
std::string WebhookId(std::string_view message_id) {
    if (message_id.starts_with('<') && message_id.ends_with('>')) {
        message_id = message_id.substr(1, message_id.size() - 2);
    }
    return std::string(message_id);
}

}  // namespace

std::string_view EmailActionType(MailKind kind) {
    switch (kind) {
        case MailKind::kConfirmation:
            return "signup";
        case MailKind::kInvite:
            return "invite";
        case MailKind::kRecovery:
            return "recovery";
        case MailKind::kMagicLink:
            return "magiclink";
        case MailKind::kEmailChange:
            return "email_change";
        case MailKind::kReauthentication:
            return "reauthentication";
        case MailKind::kPasswordChangedNotification:
            return "password_changed_notification";
        case MailKind::kEmailChangedNotification:
            return "email_changed_notification";
        case MailKind::kPhoneChangedNotification:
            return "phone_changed_notification";
        case MailKind::kIdentityLinkedNotification:
            return "identity_linked_notification";
        case MailKind::kIdentityUnlinkedNotification:
            return "identity_unlinked_notification";
        case MailKind::kMfaFactorEnrolledNotification:
            return "mfa_factor_enrolled_notification";
        case MailKind::kMfaFactorUnenrolledNotification:
            return "mfa_factor_unenrolled_notification";
    }
    return "";
}

bool HookCarries(const mailer::MailIntent& intent) {
    // The current-address mail goes to the user's address; the new-address one to new_email.
    return intent.kind != MailKind::kEmailChange || intent.input.to.empty() ||
           intent.input.to == intent.input.new_email;
}

std::string SendEmailInput(const mailer::MailIntent& intent, const conf::Config& config) {
    const EmailData data = DataOf(intent, config);
    return JsonText([&](JsonWriter& writer) {
        const auto field = [&writer](const char* name, const std::string& value) {
            writer.Key(name);
            writer.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
        };
        writer.StartObject();
        writer.Key("metadata");
        writer.StartObject();
        field("uuid", observability::NewUuid());
        field("time", models::FormatTime(models::Now()));
        field("name", "send-email");
        writer.EndObject();
        writer.Key("user");
        if (intent.user_json.empty()) {
            writer.Null();
        } else {
            http::WriteRaw(writer, intent.user_json);
        }
        writer.Key("email_data");
        writer.StartObject();
        field("token", data.token);
        field("token_hash", data.token_hash);
        field("redirect_to", data.redirect_to);
        field("email_action_type", data.email_action_type);
        field("site_url", data.site_url);
        field("token_new", data.token_new);
        field("token_hash_new", data.token_hash_new);
        field("old_email", data.old_email);
        field("old_phone", data.old_phone);
        field("provider", data.provider);
        field("factor_type", data.factor_type);
        writer.EndObject();
        writer.EndObject();
    });
}

mailer::FailureKind FailureKindOf(const hooks::HookError& error) {
    return error.Transient() ? mailer::FailureKind::kTransient : mailer::FailureKind::kPermanent;
}

SendEmailHook::SendEmailHook(
    const conf::Config& config, storage::Database& database, hooks::DispatchOptions options
)
    : config_(config), database_(database), options_(std::move(options)) {}

void SendEmailHook::Invoke(const mailer::MailIntent& intent, std::string_view message_id) const {
    if (!HookCarries(intent)) {
        return;
    }
    const hooks::Hook& hook = config_.hook.send_email;
    hooks::DispatchOptions options = options_;
    options.webhook_id = WebhookId(message_id);
    // A Postgres function runs in a transaction of its own (the request's has committed); it
    // commits what the function wrote when it succeeds.
    const auto postgres = [&](std::string_view input) {
        try {
            return storage::WithTransaction(database_, [&](pqxx::work& tx) {
                return hooks::InvokePostgres(hook, input, tx, options);
            });
        } catch (const hooks::HookError&) {
            throw;
        } catch (const std::exception& error) {  // no connection, or the commit failed
            throw hooks::HookError(
                500, "", "Error running hook URI: " + hook.uri, error.what(), hooks::Retry::kLater
            );
        }
    };
    // The output carries nothing but a possible error object, which Invoke turns into a throw.
    static_cast<void>(hooks::Invoke(hook, SendEmailInput(intent, config_), postgres, options));
}

void SendEmailHook::Send(
    const apitask::Context& /*context*/,
    const mailer::MailIntent& intent,
    std::string_view message_id
) {
    try {
        Invoke(intent, message_id);
    } catch (const hooks::HookError& error) {
        std::string detail = error.what();
        if (!error.Internal().empty()) {
            detail += " (" + error.Internal() + ")";
        }
        throw mailer::SendError(FailureKindOf(error), "send-email hook: " + detail);
    }
}

}  // namespace gotrue::api
