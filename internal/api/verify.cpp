// POST /verify and GET /verify (contract §2.10).

#include <algorithm>
#include <map>

#include <rapidjson/document.h>

#include "api/api.hpp"
#include "api/errors.hpp"
#include "api/json.hpp"
#include "api/request_info.hpp"
#include "api/sessions.hpp"
#include "api/transaction.hpp"
#include "api/views.hpp"
#include "crypto/crypto.hpp"
#include "mailer/clients.hpp"
#include "mailer/confirmation_url.hpp"
#include "models/audit_log.hpp"
#include "models/one_time_token.hpp"

namespace gotrue::api {
namespace {

constexpr const char* kLinkInvalid = "Email link is invalid or has expired";
constexpr const char* kCodeInvalid = "Token has expired or is invalid";
constexpr const char* kSingleConfirmation =
    "Confirmation link accepted. Please proceed to confirm link sent to the other email";

struct VerifyParams {
    std::string type;
    std::string token;
    std::string token_hash;  // the stored token (link or POST token_hash)
    std::string email;
    std::string phone;
    std::string redirect_to;
    bool by_hash = false;
};

bool IsEmailType(const std::string& type) {
    static const std::vector<std::string> kTypes{
        "signup", "invite", "recovery", "magiclink", "email_change", "email"};
    return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}

void CheckType(const std::string& type) {
    if (type == "sms" || type == "phone_change") {
        throw BadRequest(kValidationFailed, "Phone verification is not supported by this server");
    }
    if (!IsEmailType(type)) {
        throw BadRequest(kValidationFailed, "Invalid email verification type");
    }
}

VerifyParams ParseGet(const Request& request) {
    VerifyParams params;
    const auto get = [&](const char* key) {
        const auto it = request.query.find(key);
        return it == request.query.end() ? std::string() : it->second;
    };
    params.type = get("type");
    params.token = get("token");
    if (params.type.empty()) {
        throw BadRequest(kValidationFailed, "Verify requires a verification type");
    }
    if (params.token.empty()) {
        throw BadRequest(kValidationFailed, "Verify requires a token or a token hash");
    }
    CheckType(params.type);
    params.token_hash = params.token;  // the link carries the stored token
    params.by_hash = true;
    return params;
}

VerifyParams ParsePost(const Request& request, const conf::Config& config) {
    const auto document = ParseJsonBody(request.body);
    VerifyParams params;
    params.type = StringField(document, "type").value_or("");
    params.token = StringField(document, "token").value_or("");
    params.token_hash = StringField(document, "token_hash").value_or("");
    params.email = StringField(document, "email").value_or("");
    params.phone = StringField(document, "phone").value_or("");
    params.redirect_to = StringField(document, "redirect_to").value_or("");
    if (params.type.empty()) {
        throw BadRequest(kValidationFailed, "Verify requires a verification type");
    }
    if (params.token.empty() == params.token_hash.empty()) {
        throw BadRequest(kValidationFailed, "Verify requires either a token or a token hash");
    }
    if (!params.token_hash.empty()) {
        if (!params.email.empty() || !params.phone.empty() || !params.redirect_to.empty()) {
            throw BadRequest(kValidationFailed, "Only the token_hash and type should be provided");
        }
        params.by_hash = true;
    } else if (params.email.empty() == params.phone.empty()) {
        throw BadRequest(
            kValidationFailed, "Only an email address or phone number should be provided on verify"
        );
    }
    CheckType(params.type);
    if (!params.phone.empty()) {
        throw BadRequest(kValidationFailed, "Phone verification is not supported by this server");
    }
    if (!params.by_hash) {
        if (!mailer::IsValidEmail(params.email)) {
            throw UnprocessableEntity(kValidationFailed, "Invalid email format");
        }
        std::transform(
            params.email.begin(),
            params.email.end(),
            params.email.begin(),
            [](unsigned char c) { return static_cast<char>(std::tolower(c)); }
        );
    }
    static_cast<void>(config);
    return params;
}

std::vector<std::string> TokenTypesFor(const std::string& type) {
    if (type == "signup" || type == "invite") {
        return {"confirmation_token"};
    }
    if (type == "recovery" || type == "magiclink") {
        return {"recovery_token"};
    }
    if (type == "email_change") {
        return {"email_change_token_new", "email_change_token_current"};
    }
    return {"confirmation_token", "recovery_token"};  // "email"
}

// A stored token matches the code's hash with or without the pkce_ prefix; compared in
// constant time so the comparison does not leak how much of a guess was right.
bool TokenMatches(const std::string& stored, const std::string& hash) {
    if (stored.empty()) {
        return false;
    }
    return crypto::ConstantTimeEquals(stored, hash) ||
           crypto::ConstantTimeEquals(stored, "pkce_" + hash);
}

bool Expired(const models::OptionalTime& sent_at, const conf::Config& config) {
    return !sent_at || *sent_at + std::chrono::seconds(config.mailer.otp_exp) < models::Now();
}

const models::OptionalTime& SentAtFor(const models::User& user, const std::string& token_type) {
    if (token_type == "confirmation_token") {
        return user.confirmation_sent_at;
    }
    if (token_type == "recovery_token") {
        return user.recovery_sent_at;
    }
    return user.email_change_sent_at;
}

// Sets email_verified in the user's metadata and in the email identity.
void MarkEmailVerified(pqxx::work& tx, models::User& user) {
    user.raw_user_meta_data =
        MergeJsonObjects(user.raw_user_meta_data, R"({"email_verified":true})");
    for (const auto& identity : models::FindIdentitiesByUser(tx, user.id)) {
        if (identity.provider == "email") {
            models::UpdateIdentityData(
                tx,
                identity.id,
                MergeJsonObjects(identity.identity_data, R"({"email_verified":true})")
            );
        }
    }
}

std::string OAuthErrorName(int status) {
    switch (status) {
        case 400:
            return "invalid_request";
        case 401:
            return "unauthorized_client";
        case 403:
            return "access_denied";
        case 503:
            return "temporarily_unavailable";
        default:
            return "server_error";
    }
}

// url.Values.Encode(): keys sorted, values query-escaped.
std::string EncodeValues(const std::map<std::string, std::string>& values) {
    std::string out;
    for (const auto& [key, value] : values) {
        out +=
            (out.empty() ? "" : "&") + mailer::QueryEscape(key) + "=" + mailer::QueryEscape(value);
    }
    return out;
}

Response SeeOther(const std::string& location) {
    Response response;
    response.status = 303;
    response.headers.Set("Location", location);
    response.headers.Set("Content-Type", "text/html; charset=utf-8");
    return response;
}

struct VerifyResult {
    models::User user;
    std::vector<models::Identity> identities;  // only with a session
    std::optional<IssuedSession> session;
    bool single_confirmation = false;  // first of two email-change links
};

VerifyResult RunVerify(
    Request& request,
    const VerifyParams& params,
    const conf::Config& config,
    storage::Database& database
) {
    return RequestTransaction(request, database, [&](pqxx::work& tx) {
        VerifyResult result;
        std::string token_type;
        std::optional<models::User> found;
        if (params.by_hash) {
            const auto token =
                models::FindOneTimeToken(tx, params.token_hash, TokenTypesFor(params.type));
            if (!token) {
                throw Forbidden(kOtpExpired, kLinkInvalid);
            }
            token_type = token->token_type;
            found = models::FindUserById(tx, token->user_id, true);
            if (!found) {
                throw Forbidden(kOtpExpired, kLinkInvalid);
            }
            if (found->IsBanned(models::Now())) {
                throw Forbidden(kUserBanned, "User is banned");
            }
            if (Expired(SentAtFor(*found, token_type), config)) {
                throw Forbidden(kOtpExpired, kLinkInvalid);
            }
        } else {
            const std::string hash = crypto::GenerateTokenHash(params.email, params.token);
            if (params.type == "email_change") {
                const auto rows = tx.exec_params(
                    "SELECT id::text FROM users WHERE instance_id = $1 AND (email_change_token_new "
                    "IN ($2, $3) "
                    "OR email_change_token_current IN ($2, $3)) LIMIT 1",
                    std::string(models::kNilInstanceId),
                    hash,
                    "pkce_" + hash
                );
                if (!rows.empty()) {
                    found = models::FindUserById(tx, rows[0][0].as<std::string>(), true);
                }
            } else {
                found = models::FindUserByEmailAndAudience(
                    tx, params.email, RequestAudience(request, config), true
                );
            }
            if (!found) {
                throw Forbidden(kOtpExpired, kCodeInvalid);
            }
            if (found->IsBanned(models::Now())) {
                throw Forbidden(kUserBanned, "User is banned");
            }
            for (const auto& candidate : TokenTypesFor(params.type)) {
                const std::string& stored =
                    candidate == "confirmation_token"       ? found->confirmation_token
                    : candidate == "recovery_token"         ? found->recovery_token
                    : candidate == "email_change_token_new" ? found->email_change_token_new
                                                            : found->email_change_token_current;
                if (TokenMatches(stored, hash)) {
                    token_type = candidate;
                    break;
                }
            }
            if (token_type.empty() || Expired(SentAtFor(*found, token_type), config)) {
                throw Forbidden(kOtpExpired, kCodeInvalid);
            }
        }
        models::User user = *found;
        const std::string ip = ClientIp(request);
        std::string method = "otp";
        if (token_type == "confirmation_token") {
            method = params.type == "invite" ? "invite" : "otp";
            user.email_confirmed_at = models::Now();
            user.confirmation_token.clear();
            MarkEmailVerified(tx, user);
            models::RecordAudit(tx, user, "user_signedup", ip);
        } else if (token_type == "recovery_token") {
            method = params.type == "recovery" ? "recovery" : "magiclink";
            user.recovery_token.clear();
            if (!user.IsConfirmed()) {
                user.email_confirmed_at = models::Now();
                MarkEmailVerified(tx, user);
                models::RecordAudit(tx, user, "user_signedup", ip);
            } else {
                models::RecordAudit(tx, user, "login", ip);
            }
        } else {
            method = "email_change";
            const bool is_new = token_type == "email_change_token_new";
            const bool secure = config.mailer.secure_email_change_enabled &&
                                !config.mailer.autoconfirm && !user.email.empty() &&
                                !user.email_change_token_current.empty();
            if (secure && user.email_change_confirm_status == 0) {
                // First of the two links: remember it, clear that side, no session yet.
                user.email_change_confirm_status = 1;
                (is_new ? user.email_change_token_new : user.email_change_token_current).clear();
                models::SaveUser(tx, user);
                models::DeleteOneTimeToken(tx, user.id, token_type);
                result.user = user;
                result.single_confirmation = true;
                return result;
            }
            user.email = user.email_change;
            user.email_change.clear();
            user.email_change_token_new.clear();
            user.email_change_token_current.clear();
            user.email_change_confirm_status = 0;
            user.email_confirmed_at = models::Now();
            user.raw_user_meta_data = MergeJsonObjects(
                user.raw_user_meta_data,
                R"({"email":")" + user.email + R"(","email_verified":true})"
            );
            for (const auto& identity : models::FindIdentitiesByUser(tx, user.id)) {
                if (identity.provider == "email") {
                    models::UpdateIdentityData(
                        tx,
                        identity.id,
                        MergeJsonObjects(
                            identity.identity_data,
                            R"({"email":")" + user.email + R"(","email_verified":true})"
                        )
                    );
                }
            }
            models::RecordAudit(tx, user, "user_modified", ip);
        }
        models::SaveUser(tx, user);
        models::DeleteOneTimeTokensOfUser(tx, user.id);
        result.user = *models::FindUserById(tx, user.id);
        result.session = IssueSession(tx, result.user, method, request, config);
        result.user = *models::FindUserById(tx, user.id);
        result.identities = models::FindIdentitiesByUser(tx, user.id);
        return result;
    });
}

}  // namespace

Response Api::VerifyGet(Request& request) {
    const VerifyParams params = ParseGet(request);  // parameter errors are JSON, as upstream
    const std::string redirect = RedirectTarget(request, deps_.config);
    try {
        const VerifyResult result = RunVerify(request, params, deps_.config, deps_.database);
        if (result.single_confirmation) {
            return SeeOther(
                redirect + "#" + EncodeValues({{"message", kSingleConfirmation}, {"sb", ""}})
            );
        }
        const auto& session = *result.session;
        return SeeOther(
            redirect + "#" +
            EncodeValues({
                {"access_token", session.access_token},
                {"expires_at", std::to_string(session.expires_at)},
                {"expires_in", std::to_string(session.expires_in)},
                {"refresh_token", session.refresh_token},
                {"sb", ""},
                {"token_type", "bearer"},
                {"type", params.type},
            })
        );
    } catch (const HttpError& error) {
        return SeeOther(
            redirect + "#" +
            EncodeValues({
                {"error", OAuthErrorName(error.Status())},
                {"error_code", error.Code()},
                {"error_description", error.what()},
                {"sb", ""},
            })
        );
    }
}

Response Api::VerifyPost(Request& request) {
    const VerifyParams params = ParsePost(request, deps_.config);
    const VerifyResult result = RunVerify(request, params, deps_.config, deps_.database);
    if (result.single_confirmation) {
        rapidjson::StringBuffer buffer;
        JsonWriter writer(buffer);
        writer.StartObject();
        writer.Key("msg");
        writer.String(kSingleConfirmation);
        writer.Key("code");
        writer.String("200");
        writer.EndObject();
        return JsonResponse(200, buffer.GetString());
    }
    return SessionResponse(*result.session, result.user, result.identities);
}

}  // namespace gotrue::api
