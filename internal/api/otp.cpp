// POST /magiclink and POST /otp (contract §2.9).

#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json.hpp"
#include "api/request_info.hpp"
#include "api/sessions.hpp"
#include "api/transaction.hpp"
#include "api/users.hpp"
#include "crypto/crypto.hpp"
#include "crypto/password.hpp"
#include "models/audit_log.hpp"

namespace gotrue::api {

Response Api::SendMagicLink(
    Request& request, const std::string& raw_email, const std::string& data, bool create_user
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
    const std::string email = ValidateEmail(raw_email);
    const std::string aud = RequestAudience(request, config);
    const std::string redirect_to = RedirectTarget(request, config);
    // A new magic-link user gets a random password nobody knows (contract §4.7). bcrypt runs
    // outside the transaction, and only when a read shows the address is new: an existing
    // user's link costs no hash. (A user created meanwhile leaves the hash unused; one deleted
    // meanwhile gets a 503 to retry.)
    std::string password_hash;
    if (create_user && !UserExists(email, aud)) {
        password_hash = hasher_.Hash(crypto::RandomPassword(crypto::kMagicLinkPasswordLength));
    }

    bool exists = false;
    std::vector<OutgoingMail> mails =
        RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
            std::vector<OutgoingMail> prepared;
            auto user =
                models::FindUserByEmailAndAudience(tx, email, aud, models::Lock::kForUpdate);
            exists = user.has_value();
            if (!user && !create_user) {
                throw UnprocessableEntity(kOtpDisabled, "Signups not allowed for otp");
            }
            if (!user) {
                if (config.disable_signup) {
                    throw UnprocessableEntity(
                        kSignupDisabled, "Signups not allowed for this instance"
                    );
                }
                if (password_hash.empty()) {  // deleted since the read
                    throw ServiceUnavailable("Please retry", "user deleted during magic link");
                }
                NewEmailUser spec;
                spec.email = email;
                spec.aud = aud;
                spec.role = config.jwt.default_group_name;
                spec.password_hash = password_hash;
                spec.data = data;
                spec.confirmed = config.mailer.autoconfirm;
                user = CreateEmailUser(tx, spec);
                if (!config.mailer.autoconfirm) {
                    // Like /signup: the new user confirms the address first.
                    OutgoingMail mail = mail_.PrepareConfirmation(tx, *user, redirect_to);
                    models::RecordAudit(
                        tx, *user, "user_confirmation_requested", ClientIp(request)
                    );
                    mail.undo = UndoNewUser(user->id);
                    prepared.push_back(std::move(mail));
                    return prepared;
                }
                models::RecordAudit(tx, *user, "user_signedup", ClientIp(request));
            } else if (!user->IsConfirmed()) {
                prepared.push_back(mail_.PrepareConfirmation(tx, *user, redirect_to));
                models::RecordAudit(tx, *user, "user_confirmation_requested", ClientIp(request));
                return prepared;
            }
            prepared.push_back(
                mail_.PrepareRecovery(tx, *user, redirect_to, mailer::MailKind::kMagicLink)
            );
            models::RecordAudit(tx, *user, "user_recovery_requested", ClientIp(request));
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
    if (StringField(document, "code_challenge")) {
        throw BadRequest(kValidationFailed, "PKCE flow is not supported by this server");
    }
    return SendMagicLink(request, email, data, true);
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
    if (StringField(document, "code_challenge")) {
        throw BadRequest(kValidationFailed, "PKCE flow is not supported by this server");
    }
    if (!phone.empty()) {
        throw BadRequest(kPhoneProviderDisabled, "SMS OTP is not supported by this server");
    }
    if (email.empty()) {
        throw BadRequest(kValidationFailed, "One of email or phone must be set");
    }
    return SendMagicLink(request, email, data, create_user);
}

}  // namespace gotrue::api
