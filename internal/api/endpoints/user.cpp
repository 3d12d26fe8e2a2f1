// GET /user, PUT /user, GET /reauthenticate (GoTrue's internal/api/user.go, reauthenticate.go).

#include <algorithm>

#include <rapidjson/document.h>

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/services/code_attempts.hpp"
#include "api/services/pkce.hpp"
#include "api/services/redirect.hpp"
#include "api/services/request_info.hpp"
#include "api/services/transaction.hpp"
#include "api/services/validation.hpp"
#include "api/services/views.hpp"
#include "crypto/crypto.hpp"
#include "crypto/password.hpp"
#include "models/audit_log.hpp"
#include "models/one_time_token.hpp"
#include "models/session.hpp"

namespace gotrue::api {

// PUT /user's body.
struct UserUpdateParams {
    std::optional<std::string> email;
    std::optional<std::string> password;
    std::optional<std::string> current_password;
    std::optional<std::string> nonce;
    std::optional<std::string> data;          // JSON object text
    std::optional<std::string> app_metadata;  // JSON object text
    std::optional<std::string> phone;
    PkceParams pkce;  // for the email change's links
};

namespace {

UserUpdateParams ParseUserUpdate(const std::string& body) {
    const auto document = ParseJsonBody(body);
    UserUpdateParams params;
    params.email = StringField(document, "email");
    params.password = StringField(document, "password");
    params.current_password = StringField(document, "current_password");
    params.nonce = StringField(document, "nonce");
    params.data = ObjectField(document, "data");
    params.app_metadata = ObjectField(document, "app_metadata");
    params.phone = StringField(document, "phone");
    static_cast<void>(StringField(document, "channel"));
    params.pkce = ReadPkceParams(document);
    return params;
}

// Whether the session was signed in by something sent to the address (otp, magic link,
// recovery): it may set a new password without the current one.
bool SignedInByRecovery(const std::vector<std::string>& amr) {
    return std::any_of(amr.begin(), amr.end(), [](const std::string& text) {
        const auto method = models::ParseAuthenticationMethod(text);
        return method && models::IsRecovery(*method);
    });
}

// The reauthentication nonce from GET /reauthenticate, unexpired, compared in constant time with
// its hash in users.reauthentication_token (as upstream's verifyReauthentication).
bool NonceMatches(const models::User& user, const std::string& nonce, const conf::Config& config) {
    const bool expired =
        !user.reauthentication_sent_at ||
        *user.reauthentication_sent_at + std::chrono::seconds(config.mailer.otp_exp) <
            models::Now();
    return !user.reauthentication_token.empty() && !expired &&
           crypto::ConstantTimeEquals(
               user.reauthentication_token, crypto::GenerateTokenHash(user.email, nonce)
           );
}

// Checks and uses up the reauthentication nonce under the user's row lock. A wrong nonce counts
// against the failed-attempt bound (code_attempts.hpp); the refusal is answered after the commit.
std::optional<HttpError> RedeemNonce(
    pqxx::work& tx, const models::User& user, const std::string& nonce, const conf::Config& config
) {
    if (auto lockout = CodeLockout(tx, user.id, CodeMail::kCodeOnly)) {
        return lockout;
    }
    const HttpError invalid =
        UnprocessableEntity(kReauthenticationNotValid, "Requires a valid reauthentication nonce");
    if (!NonceMatches(user, nonce, config)) {
        return RecordWrongCode(tx, user.id, invalid, CodeMail::kCodeOnly);
    }
    if (!models::ClaimUserToken(
            tx, user.id, models::OneTimeTokenType::kReauthentication, user.reauthentication_token
        )) {
        return invalid;
    }
    RecordVerificationSuccess(tx, user.id);
    return std::nullopt;
}

// A password change without a recent sign-in
// (GOTRUE_SECURITY_UPDATE_PASSWORD_REQUIRE_REAUTHENTICATION) needs the nonce: 400 without one, the
// refusal of a wrong one (answered after the commit).
std::optional<HttpError> CheckReauthentication(
    pqxx::work& tx,
    const models::User& user,
    const Caller& caller,
    const UserUpdateParams& params,
    const conf::Config& config
) {
    if (!config.security.update_password_require_reauthentication) {
        return std::nullopt;
    }
    const auto session =
        caller.session_id.empty() ? std::nullopt : models::FindSession(tx, caller.session_id);
    if (session && session->created_at + std::chrono::hours(24) > models::Now()) {
        return std::nullopt;
    }
    if (!params.nonce || params.nonce->empty()) {
        throw BadRequest(kReauthenticationNeeded, "Password update requires reauthentication");
    }
    return RedeemNonce(tx, user, *params.nonce, config);
}

// The new address of PUT /user, if it changes: 422 when another account has it.
std::optional<std::string> NewEmail(const UserUpdateParams& params, const models::User& user) {
    if (!params.email || params.email->empty()) {
        return std::nullopt;
    }
    std::string email = ValidateEmail(*params.email);
    if (email == user.email) {
        return std::nullopt;
    }
    return email;
}

struct UserUpdate {
    models::User user;
    std::vector<models::Identity> identities;
    std::vector<models::Factor> factors;
    std::vector<OutgoingMail> mails;
    std::optional<HttpError> refusal;  // answered after the commit
};

// Mails confirm the change (in the PKCE flow when `pkce` has a challenge); only an anonymous
// user's first address skips them under autoconfirm, as upstream (internal/api/user.go): a
// permanent user always proves the new address (upstream's flow state: provider and method
// email_change).
std::vector<OutgoingMail> ChangeEmail(
    pqxx::work& tx,
    models::User& user,
    const std::string& new_email,
    const std::string& redirect_to,
    const PkceParams& pkce,
    MailService& mail,
    const conf::Config& config
) {
    if (models::FindUserByEmailAndAudience(tx, new_email, user.aud)) {
        throw UnprocessableEntity(
            kEmailExists, "A user with this email address has already been registered"
        );
    }
    if (config.mailer.autoconfirm && user.is_anonymous) {
        // As upstream: an anonymous user's first address is confirmed at once, as at signup.
        user.email_change = new_email;
        models::ConfirmEmailChange(tx, user);
        return {};
    }
    const auto flow = StartFlow(
        tx, pkce, "email_change", models::AuthenticationMethod::kEmailChange, user.id, config
    );
    return mail.PrepareEmailChange(tx, user, new_email, redirect_to, Throttle::kApply, flow);
}

}  // namespace

Response Api::UserGet(Request& request) {
    const Caller& caller = GuardedCaller(request);
    if (const auto aud = request.headers.Get("X-JWT-AUD");
        aud && !aud->empty() && *aud != caller.aud) {
        throw BadRequest(kValidationFailed, "Token audience doesn't match request audience");
    }
    return JsonResponse(
        200, UserJson(caller.user, LoadIdentities(caller.user.id), LoadFactors(caller.user.id))
    );
}

std::string Api::NewPasswordHash(const Caller& caller, const UserUpdateParams& params) {
    const auto& config = deps_.config;
    const models::User& user = caller.user;
    CheckPassword(*params.password, config.password);
    if (user.is_anonymous && !params.password->empty() && params.email.value_or("").empty()) {
        throw UnprocessableEntity(
            kValidationFailed,
            "Updating password of an anonymous user without an email or phone is not allowed"
        );
    }
    // As upstream, a first password (an anonymous user's) needs no current one.
    if (config.security.update_password_require_current_password && user.HasPassword() &&
        !SignedInByRecovery(caller.amr)) {
        if (!params.current_password || params.current_password->empty()) {
            throw BadRequest(
                kCurrentPasswordRequired, "Current password required when setting new password."
            );
        }
        if (!hasher_.Verify(*params.current_password, user.encrypted_password)) {
            throw BadRequest(
                kCurrentPasswordInvalid, "Current password required when setting new password."
            );
        }
    }
    if (user.HasPassword() && hasher_.Verify(*params.password, user.encrypted_password)) {
        throw UnprocessableEntity(
            kSamePassword, "New password should be different from the old password."
        );
    }
    return hasher_.Hash(*params.password);  // before BEGIN
}

Response Api::UserPut(Request& request) {
    const Caller& caller = GuardedCaller(request);
    const UserUpdateParams params = ParseUserUpdate(request.body);
    const auto& config = deps_.config;
    const std::optional<std::string> new_email = NewEmail(params, caller.user);
    if (new_email) {
        ValidatePkceParams(params.pkce);  // upstream stores whatever comes (a 500 on a bad method)
    }
    if (params.phone && !params.phone->empty() && *params.phone != caller.user.phone) {
        throw BadRequest(kValidationFailed, "Phone changes are not supported by this server");
    }
    if (params.app_metadata && caller.role != config.jwt.admin_group_name) {
        throw Forbidden(kNotAdmin, "Updating app_metadata requires admin privileges");
    }
    if (((params.password && !params.password->empty()) || new_email) &&
        LacksSecondFactor(caller)) {
        throw Unauthorized(
            kInsufficientAal,
            "AAL2 session is required to update email or password when MFA is enabled."
        );
    }
    const std::optional<std::string> password_hash =
        params.password ? std::optional(NewPasswordHash(caller, params)) : std::nullopt;
    const std::string redirect_to = RedirectTarget(request, config);
    const std::string ip = ClientIp(request);

    UserUpdate outcome = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        UserUpdate result;
        models::User user = *models::FindUserById(tx, caller.user.id, models::Lock::kForUpdate);
        if (password_hash) {
            result.refusal = CheckReauthentication(tx, user, caller, params, config);
            if (result.refusal) {
                return result;  // committed: a wrong nonce stays counted
            }
            // A new password invalidates every outstanding link and code, and other sessions.
            models::UpdatePassword(
                tx, user, *password_hash, models::PendingCodes::kRevoke, caller.session_id
            );
            models::RecordAudit(tx, user, "user_updated_password", ip);
        }
        if (params.data) {
            user.raw_user_meta_data = MergeJsonObjects(user.raw_user_meta_data, *params.data);
        }
        if (params.app_metadata) {
            user.raw_app_meta_data = MergeJsonObjects(user.raw_app_meta_data, *params.app_metadata);
        }
        models::SaveUser(tx, user);
        if (new_email) {
            result.mails =
                ChangeEmail(tx, user, *new_email, redirect_to, params.pkce, mail_, config);
            mail_.Enqueue(tx, request, result.mails);
        }
        models::RecordAudit(tx, user, "user_modified", ip);
        result.user = *models::FindUserById(tx, user.id);
        result.identities = models::FindIdentitiesByUser(tx, user.id);
        result.factors = models::FindFactorsByUser(tx, user.id);
        return result;
    });
    if (outcome.refusal) {
        throw HttpError(*outcome.refusal);
    }
    mail_.DeliverAll(request, outcome.mails);
    return JsonResponse(200, UserJson(outcome.user, outcome.identities, outcome.factors));
}

Response Api::Reauthenticate(Request& request) {
    const Caller& caller = GuardedCaller(request);
    if (caller.user.email.empty()) {  // an anonymous user, as upstream's reauthenticate.go
        throw BadRequest(
            kValidationFailed,
            "Reauthentication requires the user to have an email or a phone number"
        );
    }
    auto mail = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        models::User user = *models::FindUserById(tx, caller.user.id, models::Lock::kForUpdate);
        auto prepared = mail_.PrepareReauthentication(tx, user);
        mail_.Enqueue(tx, request, prepared);
        models::RecordAudit(tx, user, "user_reauthenticate_requested", ClientIp(request));
        return prepared;
    });
    mail_.Deliver(request, mail);
    return JsonResponse(200, "{}");
}

}  // namespace gotrue::api
