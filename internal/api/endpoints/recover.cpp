// POST /recover and POST /resend (GoTrue's internal/api/recover.go and resend.go), both with
// PKCE for their email flows (api/services/pkce.hpp).

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/services/pkce.hpp"
#include "api/services/redirect.hpp"
#include "api/services/request_info.hpp"
#include "api/services/transaction.hpp"
#include "api/services/validation.hpp"
#include "models/audit_log.hpp"
#include "models/vocabulary.hpp"

namespace gotrue::api {

Response Api::Recover(Request& request) {
    const auto document = ParseJsonBody(request.body);
    const std::string raw_email = StringField(document, "email").value_or("");
    const PkceParams pkce = ReadPkceParams(document);
    const auto& config = deps_.config;
    if (!config.external.email_enabled) {
        throw BadRequest(kEmailProviderDisabled, "Email logins are disabled");
    }
    if (raw_email.empty()) {
        throw BadRequest(kValidationFailed, "Password recovery requires an email");
    }
    const std::string email = ValidateEmail(raw_email);
    ValidatePkceParams(pkce);
    const std::string aud = RequestAudience(request, config);
    const std::string redirect_to = RedirectTarget(request, config);
    auto mail = RequestTransaction(
        request,
        deps_.database,
        [&](pqxx::work& tx) -> std::optional<OutgoingMail> {
            auto user =
                models::FindUserByEmailAndAudience(tx, email, aud, models::Lock::kForUpdate);
            if (!user) {
                return std::nullopt;  // the same 200 {} as for a real user (docs/http.md)
            }
            const auto flow = StartFlow(
                tx, pkce, "recovery", models::AuthenticationMethod::kRecovery, user->id, config
            );
            auto prepared = mail_.PrepareRecovery(
                tx, *user, redirect_to, mailer::MailKind::kRecovery, Throttle::kApply, flow
            );
            models::RecordAudit(tx, *user, "user_recovery_requested", ClientIp(request));
            mail_.Enqueue(tx, request, prepared);
            return prepared;
        }
    );
    request.timing_endpoint = "recover";
    request.timing_variant = mail ? "existing" : "unknown";
    if (mail) {
        mail_.Deliver(request, *mail);
    }
    return JsonResponse(200, "{}");
}

Response Api::Resend(Request& request) {
    const auto document = ParseJsonBody(request.body);
    const std::string type_text = StringField(document, "type").value_or("");
    const std::string raw_email = StringField(document, "email").value_or("");
    const std::string phone = StringField(document, "phone").value_or("");
    const PkceParams pkce = ReadPkceParams(document);
    const auto& config = deps_.config;
    using models::VerificationType;
    const auto type = models::ParseVerificationType(type_text);
    if (type != VerificationType::kSignup && type != VerificationType::kEmailChange &&
        type != VerificationType::kSms && type != VerificationType::kPhoneChange) {
        throw BadRequest(
            kValidationFailed, "Missing one of these types: signup, email_change, sms, phone_change"
        );
    }
    const bool email_type = models::InfoOf(*type).email;
    if (email_type) {
        ValidatePkceParams(pkce);
    }
    if (email_type && raw_email.empty() && phone.empty()) {
        throw BadRequest(kValidationFailed, "Type provided requires an email address");
    }
    if (!email_type && phone.empty() && raw_email.empty()) {
        throw BadRequest(kValidationFailed, "Type provided requires a phone number");
    }
    if (!raw_email.empty() && !phone.empty()) {
        throw BadRequest(
            kValidationFailed, "Only an email address or phone number should be provided."
        );
    }
    if (!email_type || !phone.empty()) {
        throw BadRequest(kValidationFailed, "SMS is not supported by this server");
    }
    if (!config.external.email_enabled) {
        throw BadRequest(kEmailProviderDisabled, "Email logins are disabled");
    }
    const std::string email = ValidateEmail(raw_email);
    const std::string aud = RequestAudience(request, config);
    const std::string redirect_to = RedirectTarget(request, config);
    bool exists = false;
    auto mails = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        std::vector<OutgoingMail> prepared;
        auto user = models::FindUserByEmailAndAudience(tx, email, aud, models::Lock::kForUpdate);
        if (!user) {
            return prepared;  // the same answer as for a real user (docs/http.md)
        }
        exists = true;
        // Upstream's resend names the provider_type of both flows after the method.
        using models::AuthenticationMethod;
        if (type == VerificationType::kSignup) {
            if (!user->IsConfirmed()) {
                models::RecordAudit(tx, *user, "user_confirmation_requested", ClientIp(request));
                const auto flow = StartFlow(
                    tx, pkce, "email/signup", AuthenticationMethod::kEmailSignup, user->id, config
                );
                prepared.push_back(
                    mail_.PrepareConfirmation(tx, *user, redirect_to, Throttle::kApply, flow)
                );
            }
        } else if (!user->email_change.empty()) {
            const auto flow = StartFlow(
                tx, pkce, "email_change", AuthenticationMethod::kEmailChange, user->id, config
            );
            prepared = mail_.PrepareEmailChange(
                tx, *user, user->email_change, redirect_to, Throttle::kApply, flow
            );
        }
        mail_.Enqueue(tx, request, prepared);
        return prepared;
    });
    request.timing_endpoint = "resend:" + type_text;
    request.timing_variant = exists && !mails.empty() ? "existing" : "unknown";
    for (auto& mail : mails) {
        mail_.Deliver(request, mail);
    }
    return JsonResponse(200, "{}");
}

}  // namespace gotrue::api
