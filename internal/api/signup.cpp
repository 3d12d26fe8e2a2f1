// POST /signup (contract §2.6).

#include <rapidjson/document.h>

#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json.hpp"
#include "api/request_info.hpp"
#include "api/sessions.hpp"
#include "api/transaction.hpp"
#include "api/views.hpp"
#include "crypto/password.hpp"
#include "models/audit_log.hpp"
#include "models/session.hpp"
#include "observability/request_id.hpp"

namespace gotrue::api {
namespace {

struct SignupParams {
    std::string email;
    std::string phone;
    std::string password;
    std::string data = "{}";  // user metadata from the request
    bool pkce = false;
};

SignupParams ParseSignupParams(const std::string& body) {
    const auto document = ParseJsonBody(body);
    SignupParams params;
    params.email = StringField(document, "email").value_or("");
    params.phone = StringField(document, "phone").value_or("");
    params.password = StringField(document, "password").value_or("");
    params.data = ObjectField(document, "data").value_or("{}");
    static_cast<void>(StringField(document, "channel"));
    params.pkce = StringField(document, "code_challenge").has_value() ||
                  StringField(document, "code_challenge_method").has_value();
    return params;
}

// The identity data of an email identity: sub, email, verification flags, then the signup data.
std::string EmailIdentityData(
    const std::string& user_id, const std::string& email, const std::string& data, bool verified
) {
    rapidjson::Document document;
    document.Parse(data.c_str());
    if (document.HasParseError() || !document.IsObject()) {
        document.SetObject();
    }
    auto& allocator = document.GetAllocator();
    for (const char* key : {"sub", "email", "email_verified", "phone_verified"}) {
        document.RemoveMember(key);
    }
    rapidjson::Document identity;
    identity.SetObject();
    identity.AddMember(
        "sub", rapidjson::Value(user_id.c_str(), identity.GetAllocator()), identity.GetAllocator()
    );
    identity.AddMember(
        "email", rapidjson::Value(email.c_str(), identity.GetAllocator()), identity.GetAllocator()
    );
    identity.AddMember("email_verified", verified, identity.GetAllocator());
    identity.AddMember("phone_verified", false, identity.GetAllocator());
    for (auto& member : document.GetObject()) {
        identity.AddMember(
            rapidjson::Value(member.name, identity.GetAllocator()),
            rapidjson::Value(member.value, identity.GetAllocator()),
            identity.GetAllocator()
        );
    }
    static_cast<void>(allocator);
    return ToJson(identity);
}

constexpr const char* kEmailAppMetadata = R"({"provider":"email","providers":["email"]})";

}  // namespace

Response Api::Signup(Request& request) {
    const SignupParams params = ParseSignupParams(request.body);
    const auto& config = deps_.config;
    if (params.email.empty() && params.phone.empty()) {
        if (!config.external.anonymous_users_enabled) {
            throw UnprocessableEntity(
                kAnonymousProviderDisabled, "Anonymous sign-ins are disabled"
            );
        }
        throw UnprocessableEntity(
            kValidationFailed, "Anonymous sign-ins are not supported by this server"
        );
    }
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
    if (params.pkce) {
        throw BadRequest(kValidationFailed, "PKCE flow is not supported by this server");
    }
    if (!params.phone.empty()) {
        throw BadRequest(kPhoneProviderDisabled, "Phone signups are not supported by this server");
    }
    if (!config.external.email_enabled) {
        throw BadRequest(kEmailProviderDisabled, "Email signups are disabled");
    }
    const std::string email = ValidateEmail(params.email);
    const std::string aud = RequestAudience(request, config);
    const std::string redirect_to = RedirectTarget(request, config);
    // Hash before BEGIN: bcrypt is slow on purpose and must not hold a connection.
    const std::string password_hash =
        crypto::HashPassword(params.password, config.password.hash_cost);

    struct Outcome {
        models::User user;
        std::optional<OutgoingMail> mail;
        std::optional<IssuedSession> session;
        bool fake = false;
    };

    Outcome outcome = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        Outcome result;
        auto existing = models::FindUserByEmailAndAudience(tx, email, aud, true);
        if (existing && existing->IsConfirmed()) {
            models::RecordAudit(tx, *existing, "user_repeated_signup", ClientIp(request));
            if (config.mailer.autoconfirm) {
                throw UnprocessableEntity(kUserAlreadyExists, "User already registered");
            }
            result.fake = true;  // contract §2.17: look exactly like a new signup
            return result;
        }
        if (existing) {
            // Unconfirmed: the row stays as it is; only the confirmation mail goes out again.
            result.user = *existing;
            result.mail = mail_.PrepareConfirmation(tx, result.user, redirect_to);
            models::RecordAudit(tx, result.user, "user_confirmation_requested", ClientIp(request));
            return result;
        }
        models::User user;
        user.id = observability::NewUuid();
        user.aud = aud;
        user.role = config.jwt.default_group_name;
        user.email = email;
        user.encrypted_password = password_hash;
        user.raw_app_meta_data = kEmailAppMetadata;
        user.raw_user_meta_data = EmailIdentityData(user.id, email, params.data, false);
        if (config.mailer.autoconfirm) {
            user.email_confirmed_at = models::Now();
            user.raw_user_meta_data = EmailIdentityData(user.id, email, params.data, true);
        }
        models::InsertUser(tx, user);
        models::Identity identity;
        identity.id = observability::NewUuid();
        identity.provider_id = user.id;
        identity.user_id = user.id;
        identity.provider = "email";
        identity.identity_data = user.raw_user_meta_data;
        models::InsertIdentity(tx, identity);
        result.user = *models::FindUserById(tx, user.id);
        if (config.mailer.autoconfirm) {
            models::RecordAudit(tx, result.user, "user_signedup", ClientIp(request));
            models::RecordAudit(tx, result.user, "login", ClientIp(request));
            result.session = IssueSession(tx, result.user, "password", request, config);
        } else {
            models::RecordAudit(tx, result.user, "user_confirmation_requested", ClientIp(request));
            result.mail = mail_.PrepareConfirmation(tx, result.user, redirect_to);
            // A failed synchronous send removes the whole signup.
            const std::string user_id = result.user.id;
            result.mail->undo = [user_id](pqxx::work& undo_tx) {
                undo_tx.exec_params0(
                    "DELETE FROM audit_log_entries WHERE payload->>'actor_id' = $1", user_id
                );
                models::DeleteUser(undo_tx, user_id);
            };
        }
        result.user = *models::FindUserById(tx, result.user.id);
        return result;
    });

    if (outcome.fake) {
        models::User fake;
        fake.id = observability::NewUuid();
        fake.aud = aud;
        fake.email = email;
        fake.raw_app_meta_data = kEmailAppMetadata;
        fake.raw_user_meta_data = params.data;
        fake.created_at = fake.updated_at = models::Now();
        fake.confirmation_sent_at = fake.created_at;
        return JsonResponse(200, UserJson(fake, {}));
    }
    if (outcome.mail) {
        mail_.Deliver(request, *outcome.mail);  // after the commit
    }
    const auto identities = LoadIdentities(outcome.user.id);
    if (outcome.session) {
        return SessionResponse(*outcome.session, outcome.user, identities);
    }
    return JsonResponse(200, UserJson(outcome.user, identities));
}

}  // namespace gotrue::api
