// POST /verify and GET /verify (GoTrue's internal/api/verify.go).

#include <algorithm>
#include <map>
#include <variant>

#include <rapidjson/document.h>

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/services/code_attempts.hpp"
#include "api/services/pkce.hpp"
#include "api/services/redirect.hpp"
#include "api/services/request_info.hpp"
#include "api/services/sessions.hpp"
#include "api/services/transaction.hpp"
#include "api/services/views.hpp"
#include "crypto/crypto.hpp"
#include "mailer/clients.hpp"
#include "models/audit_log.hpp"
#include "models/flow_state.hpp"
#include "models/one_time_token.hpp"
#include "models/vocabulary.hpp"
#include "text/ascii.hpp"

namespace gotrue::api {
namespace {

constexpr const char* kLinkInvalid = "Email link is invalid or has expired";
constexpr const char* kCodeInvalid = "Token has expired or is invalid";
constexpr const char* kSingleConfirmation =
    "Confirmation link accepted. Please proceed to confirm link sent to the other email";

struct VerifyParams {
    models::VerificationType type{};
    std::string token;
    std::string token_hash;  // the stored token (link or POST token_hash)
    std::string email;
    std::string phone;
    std::string redirect_to;
    bool by_hash = false;
};

// An email verification type (400 for phone types and unknown ones). `text` is not empty.
models::VerificationType ParseType(const std::string& text) {
    const auto type = models::ParseVerificationType(text);
    if (type && !models::InfoOf(*type).email) {
        throw BadRequest(kValidationFailed, "Phone verification is not supported by this server");
    }
    if (!type) {
        throw BadRequest(kValidationFailed, "Invalid email verification type");
    }
    return *type;
}

VerifyParams ParseGet(const Request& request) {
    VerifyParams params;
    const auto get = [&](const char* key) {
        const auto it = request.query.find(key);
        return it == request.query.end() ? std::string() : it->second;
    };
    const std::string type = get("type");
    params.token = get("token");
    if (type.empty()) {
        throw BadRequest(kValidationFailed, "Verify requires a verification type");
    }
    if (params.token.empty()) {
        throw BadRequest(kValidationFailed, "Verify requires a token or a token hash");
    }
    params.type = ParseType(type);
    params.token_hash = params.token;  // the link carries the stored token
    params.by_hash = true;
    return params;
}

VerifyParams ParsePost(const Request& request) {
    const auto document = ParseJsonBody(request.body);
    VerifyParams params;
    const std::string type = StringField(document, "type").value_or("");
    params.token = StringField(document, "token").value_or("");
    params.token_hash = StringField(document, "token_hash").value_or("");
    params.email = StringField(document, "email").value_or("");
    params.phone = StringField(document, "phone").value_or("");
    params.redirect_to = StringField(document, "redirect_to").value_or("");
    if (type.empty()) {
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
    params.type = ParseType(type);
    if (!params.phone.empty()) {
        throw BadRequest(kValidationFailed, "Phone verification is not supported by this server");
    }
    if (!params.by_hash) {
        if (!mailer::IsValidEmail(params.email)) {
            throw UnprocessableEntity(kValidationFailed, "Invalid email format");
        }
        params.email = text::ToLower(params.email);
    }
    return params;
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
    std::vector<models::Factor> factors;       // only with a session
    std::optional<IssuedSession> session;
    std::string auth_code;             // a PKCE link's code, instead of a session
    bool single_confirmation = false;  // first of two email-change links
};

// A verified token: its user, locked and read after the lock, and which of its tokens it was
// (already used up in this transaction).
struct Claimed {
    models::User user;
    models::OneTimeTokenType token_type;
};

// Link / token_hash: the one_time_tokens row names its user. Lock the user, then claim the row:
// of parallel requests with one link only the first finds it, the others (which waited for the
// lock) see it gone. The users columns are not compared: they hold the code's hash, which a
// link does not carry (mail.cpp).
Claimed ClaimLink(pqxx::work& tx, const VerifyParams& params, const conf::Config& config) {
    const auto types = models::InfoOf(params.type).token_types;
    const auto owner = models::FindOneTimeTokenOwner(tx, params.token_hash, types);
    std::optional<models::User> user;
    if (owner) {
        user = models::FindUserById(tx, *owner, models::Lock::kForUpdate);
    }
    const auto token =
        user ? models::ClaimOneTimeToken(tx, user->id, params.token_hash, types) : std::nullopt;
    if (!token) {
        throw Forbidden(kOtpExpired, kLinkInvalid);
    }
    if (user->IsBanned(models::Now())) {
        throw Forbidden(kUserBanned, "User is banned");
    }
    if (Expired(user->SentAtOf(token->token_type), config)) {
        throw Forbidden(kOtpExpired, kLinkInvalid);
    }
    return {std::move(*user), token->token_type};
}

// The users a code for `params.email` can belong to, locked. A code's hash covers the address it
// was sent to, so an email-change code belongs to a user changing from or to that address.
std::vector<models::User> CodeCandidates(
    pqxx::work& tx, const VerifyParams& params, const std::string& aud
) {
    if (params.type == models::VerificationType::kEmailChange) {
        return models::FindUsersWithPendingEmailChange(
            tx, params.email, aud, models::Lock::kForUpdate
        );
    }
    auto user = models::FindUserByEmailAndAudience(tx, params.email, aud, models::Lock::kForUpdate);
    if (!user) {
        return {};
    }
    return {std::move(*user)};
}

// The token type whose unexpired code in `user` is `hash`, if any.
std::optional<models::OneTimeTokenType> MatchingCode(
    const models::User& user,
    const std::string& hash,
    models::VerificationType type,
    const conf::Config& config
) {
    for (const auto token_type : models::InfoOf(type).token_types) {
        if (TokenMatches(user.TokenOf(token_type), hash) &&
            !Expired(user.SentAtOf(token_type), config)) {
            return token_type;
        }
    }
    return std::nullopt;
}

// A claimed token, or the refusal to answer once the transaction committed (so that a wrong code
// stays counted).
using ClaimOutcome = std::variant<Claimed, HttpError>;

// Counts a wrong code for each user it was compared with. The answer is the lockout's 429 when
// this failure reached the bound for one of them, else the usual 403.
HttpError CountWrongCode(pqxx::work& tx, const std::vector<std::string>& compared_user_ids) {
    HttpError answer = Forbidden(kOtpExpired, kCodeInvalid);
    for (const auto& user_id : compared_user_ids) {
        HttpError recorded =
            RecordWrongCode(tx, user_id, Forbidden(kOtpExpired, kCodeInvalid), CodeMail::kWithLink);
        if (recorded.Status() != answer.Status()) {
            answer = std::move(recorded);
        }
    }
    return answer;
}

// Email + 6-digit code: compared with the users column (upstream's verifyUserAndToken) under
// the user's row lock, then claimed with a conditional update of that column. A wrong code
// counts against the user's failed-attempt bound; a user locked out by it is refused before
// anything is compared (code_attempts.hpp). An unknown address counts nothing.
ClaimOutcome ClaimCode(
    pqxx::work& tx, const VerifyParams& params, const std::string& aud, const conf::Config& config
) {
    const std::string hash = crypto::GenerateTokenHash(params.email, params.token);
    auto candidates = CodeCandidates(tx, params, aud);
    for (const auto& candidate : candidates) {
        if (candidate.IsBanned(models::Now())) {
            throw Forbidden(kUserBanned, "User is banned");
        }
    }
    std::optional<HttpError> lockout;
    std::vector<std::string> compared;
    for (auto& candidate : candidates) {
        if (auto refusal = CodeLockout(tx, candidate.id, CodeMail::kWithLink)) {
            lockout = std::move(refusal);
            continue;
        }
        const auto token_type = MatchingCode(candidate, hash, params.type, config);
        if (!token_type) {
            compared.push_back(candidate.id);
            continue;
        }
        if (!models::ClaimUserToken(
                tx, candidate.id, *token_type, candidate.TokenOf(*token_type)
            )) {
            return Forbidden(kOtpExpired, kCodeInvalid);
        }
        return Claimed{std::move(candidate), *token_type};
    }
    if (compared.empty() && lockout) {
        return *lockout;
    }
    return CountWrongCode(tx, compared);
}

// Secure email change waits for the current address too when it was sent a link. Its code
// column alone does not tell (clearing codes leaves the link), so its link row counts as well.
bool CurrentAddressWasAsked(
    pqxx::work& tx, const models::User& user, models::OneTimeTokenType claimed_type
) {
    using models::OneTimeTokenType;
    return claimed_type == OneTimeTokenType::kEmailChangeCurrent ||
           !user.email_change_token_current.empty() ||
           models::FindOneTimeTokenOfUser(tx, user.id, OneTimeTokenType::kEmailChangeCurrent)
               .has_value();
}

// A secure email change whose other link has not been used yet.
bool AwaitsOtherLink(
    pqxx::work& tx,
    const models::User& user,
    models::OneTimeTokenType claimed_type,
    const conf::Config& config
) {
    return config.mailer.secure_email_change_enabled && !config.mailer.autoconfirm &&
           !user.email.empty() && CurrentAddressWasAsked(tx, user, claimed_type) &&
           user.email_change_confirm_status == 0;
}

// A signup or invite confirmation.
models::AuthenticationMethod RedeemConfirmation(
    pqxx::work& tx, models::User& user, models::VerificationType type, const std::string& ip
) {
    models::RecordAudit(tx, user, "user_signedup", ip);
    models::Confirm(tx, user);
    return type == models::VerificationType::kInvite ? models::AuthenticationMethod::kInvite
                                                     : models::AuthenticationMethod::kOtp;
}

// A recovery or magic link (or its code): signs in, and confirms an unconfirmed address.
models::AuthenticationMethod RedeemRecovery(
    pqxx::work& tx, models::User& user, models::VerificationType type, const std::string& ip
) {
    models::RecordAudit(tx, user, user.IsConfirmed() ? "login" : "user_signedup", ip);
    models::Recover(tx, user);
    return type == models::VerificationType::kRecovery ? models::AuthenticationMethod::kRecovery
                                                       : models::AuthenticationMethod::kMagicLink;
}

// The signed-in answer: a new session and the user as stored after it.
VerifyResult SignIn(
    pqxx::work& tx,
    const std::string& user_id,
    models::AuthenticationMethod method,
    Request& request,
    const conf::Config& config
) {
    VerifyResult result;
    result.user = *models::FindUserById(tx, user_id);
    result.session = IssueSession(tx, result.user, method, request, config);
    result.user = *models::FindUserById(tx, user_id);
    result.identities = models::FindIdentitiesByUser(tx, user_id);
    result.factors = models::FindFactorsByUser(tx, user_id);
    return result;
}

// What a verified token did, and the method a session for it is signed in with; nullopt when it
// was the first of two email-change links (no session yet).
std::optional<models::AuthenticationMethod> Redeem(
    pqxx::work& tx,
    Claimed& claimed,
    const VerifyParams& params,
    const std::string& ip,
    const conf::Config& config
) {
    using models::OneTimeTokenType;
    models::User& user = claimed.user;
    switch (claimed.token_type) {
        case OneTimeTokenType::kConfirmation:
            return RedeemConfirmation(tx, user, params.type, ip);
        case OneTimeTokenType::kRecovery:
            return RedeemRecovery(tx, user, params.type, ip);
        default:
            break;
    }
    if (AwaitsOtherLink(tx, user, claimed.token_type, config)) {
        models::ConfirmEmailChangeHalf(tx, user, claimed.token_type);
        return std::nullopt;
    }
    models::ConfirmEmailChange(tx, user);
    models::RecordAudit(tx, user, "user_modified", ip);
    return models::AuthenticationMethod::kEmailChange;
}

// The answer to a redeemed token: a session, or with a PKCE link the flow's auth code (a
// missing flow state is an error, and rolls the verification back, as upstream).
VerifyResult Conclude(
    pqxx::work& tx,
    Claimed claimed,
    const VerifyParams& params,
    models::FlowType flow,
    Request& request,
    const conf::Config& config
) {
    const auto method = Redeem(tx, claimed, params, ClientIp(request), config);
    if (!method) {
        VerifyResult result;
        result.user = std::move(claimed.user);
        result.single_confirmation = true;
        return result;
    }
    if (flow == models::FlowType::kPkce) {
        VerifyResult result;
        result.auth_code =
            IssueAuthCode(tx, claimed.user.id, PkceFlowMethod(params.type, claimed.token_type));
        result.user = std::move(claimed.user);
        return result;
    }
    return SignIn(tx, claimed.user.id, *method, request, config);
}

// Every path locks the user row first and then claims the token (never the other way round),
// so parallel verifications of one user queue on that lock instead of deadlocking.
VerifyResult RunVerify(
    Request& request,
    const VerifyParams& params,
    models::FlowType flow,
    const conf::Config& config,
    storage::Database& database
) {
    auto outcome = RequestTransaction(
        request,
        database,
        [&](pqxx::work& tx) -> std::variant<VerifyResult, HttpError> {
            ClaimOutcome claimed =
                params.by_hash ? ClaimOutcome(ClaimLink(tx, params, config))
                               : ClaimCode(tx, params, RequestAudience(request, config), config);
            if (auto* refusal = std::get_if<HttpError>(&claimed)) {
                return *refusal;
            }
            auto& verified = std::get<Claimed>(claimed);
            RecordVerificationSuccess(tx, verified.user.id);
            return Conclude(tx, std::move(verified), params, flow, request, config);
        }
    );
    if (auto* refusal = std::get_if<HttpError>(&outcome)) {
        throw *refusal;
    }
    return std::get<VerifyResult>(std::move(outcome));
}

}  // namespace

// A link whose token carries the pkce_ prefix answers with the flow's auth code in the query
// instead of a session in the fragment (upstream's verifyGet).
Response Api::VerifyGet(Request& request) {
    const VerifyParams params = ParseGet(request);  // parameter errors are JSON, as upstream
    const std::string redirect = RedirectTarget(request, deps_.config);
    const auto flow =
        models::IsPkceToken(params.token) ? models::FlowType::kPkce : models::FlowType::kImplicit;
    try {
        const VerifyResult result = RunVerify(request, params, flow, deps_.config, deps_.database);
        if (result.single_confirmation) {
            return SeeOther(MessageRedirect(redirect, kSingleConfirmation, flow));
        }
        if (flow == models::FlowType::kPkce) {
            return SeeOther(PkceCodeRedirect(redirect, result.auth_code));
        }
        const auto& session = *result.session;
        return SeeOther(
            redirect + "#" +
            EncodeQueryValues(std::map<std::string, std::string>{
                {"access_token", session.access_token},
                {"expires_at", std::to_string(session.expires_at)},
                {"expires_in", std::to_string(session.expires_in)},
                {"refresh_token", session.refresh_token},
                {"sb", ""},
                {"token_type", "bearer"},
                {"type", std::string(models::String(params.type))},
            })
        );
    } catch (const HttpError& error) {
        return SeeOther(ErrorRedirect(redirect, error.Status(), error.Code(), error.what(), flow));
    }
}

Response Api::VerifyPost(Request& request) {
    const VerifyParams params = ParsePost(request);
    // A pkce_ token_hash signs in here as any other (upstream's verifyPost issues a session
    // whatever the flow; the flow state stays unused until the cleanup).
    const VerifyResult result =
        RunVerify(request, params, models::FlowType::kImplicit, deps_.config, deps_.database);
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
    return SessionResponse(*result.session, result.user, result.identities, result.factors);
}

}  // namespace gotrue::api
