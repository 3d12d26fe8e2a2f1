// POST /signup without email and phone: an anonymous sign-in (GoTrue's internal/api/anonymous.go,
// the /signup route in internal/api/api.go, SignupParams.ToUserModel in internal/api/signup.go).
// Turning the anonymous user into a permanent one goes through PUT /user and the email_change
// verification (user.cpp, verify.cpp, models::ConfirmEmailChange).

#include <rapidjson/document.h>

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/services/request_info.hpp"
#include "api/services/sessions.hpp"
#include "api/services/transaction.hpp"
#include "observability/request_id.hpp"

namespace gotrue::api {
namespace {

// The part of a /signup body the route decides on. Every field is type-checked as GoTrue's
// decoder does (a wrong type is 400 bad_json), whichever path then reads it.
struct SignupBody {
    bool anonymous = false;   // neither email nor phone
    std::string data = "{}";  // user metadata from the request
};

SignupBody ReadSignupBody(const std::string& body) {
    const auto document = ParseJsonBody(body);
    SignupBody result;
    const std::string email = StringField(document, "email").value_or("");
    const std::string phone = StringField(document, "phone").value_or("");
    for (const char* name : {"password", "channel", "code_challenge", "code_challenge_method"}) {
        static_cast<void>(StringField(document, name));
    }
    result.data = ObjectField(document, "data").value_or("{}");
    result.anonymous = email.empty() && phone.empty();
    return result;
}

struct AnonymousSignIn {
    models::User user;
    IssuedSession session;
};

// As upstream's ToUserModel with the anonymous provider: no email, phone, password or identity,
// empty app_metadata, the request's data as user metadata, the default role.
models::User NewAnonymousUser(
    const std::string& aud, const std::string& data, const conf::Config& config
) {
    models::User user;
    user.id = observability::NewUuid();
    user.aud = aud;
    user.role = config.jwt.default_group_name;
    user.raw_user_meta_data = data;
    user.raw_app_meta_data = "{}";
    user.is_anonymous = true;
    return user;
}

}  // namespace

Response Api::SignupRoute(Request& request) {
    const auto& config = deps_.config;
    const SignupBody body = ReadSignupBody(request.body);  // 400 before any limit is taken
    if (!body.anonymous) {
        TakeClientToken(request, "signup", RequestLimit::PerFiveMinutes(config.rate_limit.otp));
        return Signup(request);
    }
    // Upstream's order: the switch, then the anonymous limiter, then the handler's own checks.
    if (!config.external.anonymous_users_enabled) {
        throw UnprocessableEntity(kAnonymousProviderDisabled, "Anonymous sign-ins are disabled");
    }
    TakeClientToken(request, "anonymous", RequestLimit::PerHour(config.rate_limit.anonymous_users));
    return SignupAnonymously(request, body.data);
}

Response Api::SignupAnonymously(Request& request, const std::string& data) {
    const auto& config = deps_.config;
    if (config.disable_signup) {
        throw UnprocessableEntity(kSignupDisabled, "Signups not allowed for this instance");
    }
    // No audit entry: upstream records none for an anonymous sign-in.
    AnonymousSignIn signed_in = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        models::User user = NewAnonymousUser(RequestAudience(request, config), data, config);
        models::InsertUser(tx, user);
        user = *models::FindUserById(tx, user.id);
        AnonymousSignIn result;
        result.session =
            IssueSession(tx, user, models::AuthenticationMethod::kAnonymous, request, config);
        result.user = *models::FindUserById(tx, user.id);
        return result;
    });
    return SessionResponse(signed_in.session, signed_in.user, {});
}

}  // namespace gotrue::api
