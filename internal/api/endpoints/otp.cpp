// POST /magiclink and POST /otp (GoTrue's internal/api/magic_link.go and otp.go), with PKCE
// (api/services/pkce.hpp).

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/services/pkce.hpp"
#include "api/services/redirect.hpp"
#include "api/services/request_info.hpp"
#include "api/services/sessions.hpp"
#include "api/services/transaction.hpp"
#include "api/services/users.hpp"
#include "api/services/validation.hpp"
#include "crypto/crypto.hpp"
#include "crypto/password.hpp"
#include "models/audit_log.hpp"

namespace gotrue::api {

namespace {

// A user for a new address, with a random password (docs/database.md#passwords): 422 with
// UnknownAddress::kRefuse or with signups disabled.
models::User CreateMagicLinkUser(
    pqxx::work& tx,
    const NewEmailUser& spec,
    UnknownAddress unknown_address,
    const conf::Config& config
) {
    if (unknown_address == UnknownAddress::kRefuse) {
        throw UnprocessableEntity(kOtpDisabled, "Signups not allowed for otp");
    }
    if (config.disable_signup) {
        throw UnprocessableEntity(kSignupDisabled, "Signups not allowed for this instance");
    }
    if (spec.password_hash.empty()) {  // deleted since the read
        throw ServiceUnavailable("Please retry", "user deleted during magic link");
    }
    return CreateEmailUser(tx, spec);
}

// The mail for the address: a sign-in link for confirmed users (and new users with autoconfirm),
// a confirmation mail for the others. `exists`: whether the address had a user.
std::vector<OutgoingMail> PrepareMagicLink(
    pqxx::work& tx,
    MailService& mail,
    const NewEmailUser& spec,
    UnknownAddress unknown_address,
    const std::string& redirect_to,
    const PkceParams& pkce,
    const std::string& ip,
    const conf::Config& config,
    bool& exists
) {
    auto user =
        models::FindUserByEmailAndAudience(tx, spec.email, spec.aud, models::Lock::kForUpdate);
    exists = user.has_value();
    if (!user) {
        user = CreateMagicLinkUser(tx, spec, unknown_address, config);
        if (!config.mailer.autoconfirm) {
            // Like /signup: the new user confirms the address first.
            OutgoingMail confirmation =
                PrepareSignupConfirmation(tx, mail, *user, redirect_to, pkce, config);
            models::RecordAudit(tx, *user, "user_confirmation_requested", ip);
            confirmation.undo = UndoNewUser(user->id);
            return {std::move(confirmation)};
        }
        models::RecordAudit(tx, *user, "user_signedup", ip);
    } else if (!user->IsConfirmed()) {
        OutgoingMail confirmation =
            PrepareSignupConfirmation(tx, mail, *user, redirect_to, pkce, config);
        models::RecordAudit(tx, *user, "user_confirmation_requested", ip);
        return {std::move(confirmation)};
    }
    const auto flow = StartFlow(
        tx, pkce, "magiclink", models::AuthenticationMethod::kMagicLink, user->id, config
    );
    OutgoingMail link = mail.PrepareRecovery(
        tx, *user, redirect_to, mailer::MailKind::kMagicLink, Throttle::kApply, flow
    );
    models::RecordAudit(tx, *user, "user_recovery_requested", ip);
    return {std::move(link)};
}

}  // namespace

Response Api::SendMagicLink(
    Request& request,
    const std::string& raw_email,
    const std::string& data,
    const PkceParams& pkce,
    UnknownAddress unknown_address
) {
    const auto& config = deps_.config;
    if (!config.external.email_enabled) {
        throw UnprocessableEntity(kEmailProviderDisabled, "Email logins are disabled");
    }
    if (!config.external.email_magic_link_enabled) {
        throw UnprocessableEntity(kEmailProviderDisabled, "Login with magic link is disabled");
    }
    if (raw_email.empty()) {
        throw UnprocessableEntity(kValidationFailed, "Password recovery requires an email");
    }
    NewEmailUser spec;
    spec.email = ValidateEmail(raw_email);
    ValidatePkceParams(pkce);
    spec.aud = RequestAudience(request, config);
    spec.role = config.jwt.default_group_name;
    spec.data = data;
    spec.confirmed = config.mailer.autoconfirm;
    const std::string redirect_to = RedirectTarget(request, config);
    // A new magic-link user gets a random password nobody knows (docs/database.md). bcrypt runs
    // outside the transaction, and only when a read shows the address is new: an existing
    // user's link costs no hash. (A user created meanwhile leaves the hash unused; one deleted
    // meanwhile gets a 503 to retry.)
    if (unknown_address == UnknownAddress::kCreateUser && !UserExists(spec.email, spec.aud)) {
        spec.password_hash = hasher_.Hash(crypto::RandomPassword(crypto::kMagicLinkPasswordLength));
    }
    bool exists = false;
    std::vector<OutgoingMail> mails =
        RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
            auto prepared = PrepareMagicLink(
                tx,
                mail_,
                spec,
                unknown_address,
                redirect_to,
                pkce,
                ClientIp(request),
                config,
                exists
            );
            mail_.Enqueue(tx, request, prepared);
            return prepared;
        });
    request.timing_endpoint = "magiclink";
    request.timing_variant = exists ? "existing" : "unknown";
    for (auto& mail : mails) {
        mail_.Deliver(request, mail);
    }
    return JsonResponse(200, "{}");
}

Response Api::MagicLink(Request& request) {
    const auto document = ParseJsonBody(request.body);
    const std::string email = StringField(document, "email").value_or("");
    const std::string data = ObjectField(document, "data").value_or("{}");
    return SendMagicLink(
        request, email, data, ReadPkceParams(document), UnknownAddress::kCreateUser
    );
}

Response Api::Otp(Request& request) {
    const auto document = ParseJsonBody(request.body);
    const std::string email = StringField(document, "email").value_or("");
    const std::string phone = StringField(document, "phone").value_or("");
    const std::string channel = StringField(document, "channel").value_or("");
    const bool create_user = BoolField(document, "create_user").value_or(true);
    const std::string data = ObjectField(document, "data").value_or("{}");
    if (!email.empty() && !phone.empty()) {
        throw BadRequest(
            kValidationFailed, "Only an email address or phone number should be provided"
        );
    }
    if (!email.empty() && !channel.empty()) {
        throw BadRequest(kValidationFailed, "Channel can only be used with a phone number");
    }
    const PkceParams pkce = ReadPkceParams(document);
    ValidatePkceParams(pkce);
    if (!phone.empty()) {
        throw BadRequest(kPhoneProviderDisabled, "SMS OTP is not supported by this server");
    }
    if (email.empty()) {
        throw BadRequest(kValidationFailed, "One of email or phone must be set");
    }
    return SendMagicLink(
        request,
        email,
        data,
        pkce,
        create_user ? UnknownAddress::kCreateUser : UnknownAddress::kRefuse
    );
}

}  // namespace gotrue::api
