// POST /signup (GoTrue's internal/api/signup.go).

#include <rapidjson/document.h>

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/services/pkce.hpp"
#include "api/services/redirect.hpp"
#include "api/services/request_info.hpp"
#include "api/services/sessions.hpp"
#include "api/services/transaction.hpp"
#include "api/services/users.hpp"
#include "api/services/validation.hpp"
#include "api/services/views.hpp"
#include "crypto/password.hpp"
#include "models/audit_log.hpp"
#include "observability/request_id.hpp"

namespace gotrue::api {
namespace {

struct SignupParams {
    std::string email;
    std::string phone;
    std::string password;
    std::string data = "{}";  // user metadata from the request
    PkceParams pkce;
};

SignupParams ParseSignupParams(const std::string& body) {
    const auto document = ParseJsonBody(body);
    SignupParams params;
    params.email = StringField(document, "email").value_or("");
    params.phone = StringField(document, "phone").value_or("");
    params.password = StringField(document, "password").value_or("");
    params.data = ObjectField(document, "data").value_or("{}");
    static_cast<void>(StringField(document, "channel"));
    params.pkce = ReadPkceParams(document);
    return params;
}

// 4xx for what this server does not sign up (phone) and for a body GoTrue refuses, in GoTrue's
// order. (A body without email and phone is an anonymous sign-in: anonymous.cpp.)
void ValidateSignup(const SignupParams& params, const conf::Config& config) {
    if (config.disable_signup) {
        throw UnprocessableEntity(kSignupDisabled, "Signups not allowed for this instance");
    }
    if (params.password.empty()) {
        throw BadRequest(kValidationFailed, "Signup requires a valid password");
    }
    CheckPassword(params.password, config.password);
    if (!params.email.empty() && !params.phone.empty()) {
        throw BadRequest(
            kValidationFailed, "Only an email address or phone number should be provided on signup."
        );
    }
    if (!params.phone.empty() && !params.pkce.challenge.empty()) {
        throw BadRequest(kValidationFailed, "PKCE not supported for phone signups");
    }
    ValidatePkceParams(params.pkce);
    if (!params.phone.empty()) {
        throw BadRequest(kPhoneProviderDisabled, "Phone signups are not supported by this server");
    }
    if (!config.external.email_enabled) {
        throw BadRequest(kEmailProviderDisabled, "Email signups are disabled");
    }
}

struct SignupOutcome {
    models::User user;
    std::vector<models::Identity> identities;
    std::optional<OutgoingMail> mail;
    std::optional<IssuedSession> session;
    bool fake = false;
};

// A new user: signed in at once with autoconfirm, else sent the confirmation mail.
SignupOutcome SignUpNewUser(
    pqxx::work& tx,
    MailService& mail,
    const NewEmailUser& spec,
    const std::string& redirect_to,
    const PkceParams& pkce,
    Request& request,
    const conf::Config& config
) {
    SignupOutcome result;
    const std::string ip = ClientIp(request);
    result.user = CreateEmailUser(tx, spec);
    if (spec.confirmed) {  // autoconfirm: signed in at once
        models::RecordAudit(tx, result.user, "user_signedup", ip);
        models::RecordAudit(tx, result.user, "login", ip);
        result.session =
            IssueSession(tx, result.user, models::AuthenticationMethod::kPassword, request, config);
    } else {
        models::RecordAudit(tx, result.user, "user_confirmation_requested", ip);
        result.mail = PrepareSignupConfirmation(tx, mail, result.user, redirect_to, pkce, config);
        // A failed synchronous send removes the whole signup.
        result.mail->undo = UndoNewUser(result.user.id);
        mail.Enqueue(tx, request, *result.mail);
    }
    result.user = *models::FindUserById(tx, result.user.id);
    result.identities = models::FindIdentitiesByUser(tx, result.user.id);
    return result;
}

}  // namespace

Response Api::Signup(Request& request) {
    const SignupParams params = ParseSignupParams(request.body);
    const auto& config = deps_.config;
    ValidateSignup(params, config);
    NewEmailUser spec;
    spec.email = ValidateEmail(params.email);
    spec.aud = RequestAudience(request, config);
    spec.role = config.jwt.default_group_name;
    spec.data = params.data;
    spec.confirmed = config.mailer.autoconfirm;
    const std::string redirect_to = RedirectTarget(request, config);
    // Hash before BEGIN: bcrypt is slow on purpose and must not hold a connection.
    spec.password_hash = hasher_.Hash(params.password);

    SignupOutcome outcome = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        SignupOutcome result;
        auto existing =
            models::FindUserByEmailAndAudience(tx, spec.email, spec.aud, models::Lock::kForUpdate);
        if (existing && existing->IsConfirmed()) {
            models::RecordAudit(tx, *existing, "user_repeated_signup", ClientIp(request));
            if (config.mailer.autoconfirm) {
                throw UnprocessableEntity(kUserAlreadyExists, "User already registered");
            }
            result.fake = true;  // anti-enumeration (docs/http.md): look exactly like a new signup
            return result;
        }
        if (existing) {
            // Unconfirmed: the row stays as it is; only the confirmation mail goes out again.
            result.user = *existing;
            result.mail =
                PrepareSignupConfirmation(tx, mail_, result.user, redirect_to, params.pkce, config);
            mail_.Enqueue(tx, request, *result.mail);
            models::RecordAudit(tx, result.user, "user_confirmation_requested", ClientIp(request));
            result.identities = models::FindIdentitiesByUser(tx, result.user.id);
            return result;
        }
        return SignUpNewUser(tx, mail_, spec, redirect_to, params.pkce, request, config);
    });

    if (outcome.fake) {
        return JsonResponse(200, UserJson(FakeUser(spec.email, spec.aud, params.data), {}));
    }
    if (outcome.mail) {
        mail_.Deliver(request, *outcome.mail);  // after the commit
    }
    if (outcome.session) {
        return SessionResponse(*outcome.session, outcome.user, outcome.identities);
    }
    return JsonResponse(200, UserJson(outcome.user, outcome.identities));
}

}  // namespace gotrue::api
