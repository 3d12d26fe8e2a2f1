// POST /token?grant_type=password|refresh_token|pkce (GoTrue's internal/api/token.go,
// token_refresh.go).

#include <algorithm>
#include <cctype>

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/services/request_info.hpp"
#include "api/services/sessions.hpp"
#include "api/services/transaction.hpp"
#include "crypto/password.hpp"
#include "models/audit_log.hpp"
#include "models/factor.hpp"
#include "models/flow_state.hpp"
#include "models/refresh_token.hpp"
#include "models/session.hpp"

namespace gotrue::api {
namespace {

constexpr const char* kInvalidLogin = "Invalid login credentials";
constexpr const char* kTokenNotFound = "Invalid Refresh Token: Refresh Token Not Found";

bool ValidRefreshTokenFormat(const std::string& token) {
    if (token.size() < 12) {
        return false;
    }
    if (token.size() == 12) {
        return std::all_of(token.begin(), token.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        });
    }
    return token.size() <= 255;
}

// The email of a password grant: 400 for phone logins and missing or double identifiers.
std::string PasswordGrantEmail(const rapidjson::Document& document, const conf::Config& config) {
    std::string email = StringField(document, "email").value_or("");
    const std::string phone = StringField(document, "phone").value_or("");
    if (!email.empty() && !phone.empty()) {
        throw BadRequest(
            kValidationFailed, "Only an email address or phone number should be provided on login."
        );
    }
    if (email.empty() && phone.empty()) {
        throw BadRequest(kValidationFailed, "missing email or phone");
    }
    if (!phone.empty()) {
        throw BadRequest(kPhoneProviderDisabled, "Phone logins are not supported by this server");
    }
    if (!config.external.email_enabled) {
        throw UnprocessableEntity(kEmailProviderDisabled, "Email logins are disabled");
    }
    return email;
}

// The refresh token's family as found under its row lock: 400 when the token, its user or its
// session is gone, the user banned or the session expired.
struct RefreshFamily {
    models::RefreshToken current;
    models::User user;
    models::Session session;
};

RefreshFamily FindRefreshFamily(pqxx::work& tx, const std::string& token) {
    auto current = models::FindRefreshToken(tx, token);
    if (!current) {
        throw BadRequest(kRefreshTokenNotFound, kTokenNotFound);
    }
    auto user = models::FindUserById(tx, current->user_id);
    if (!user) {
        throw BadRequest(kRefreshTokenNotFound, kTokenNotFound);
    }
    if (user->IsBanned(models::Now())) {
        throw BadRequest(kUserBanned, "Invalid Refresh Token: User Banned");
    }
    auto session =
        current->session_id.empty() ? std::nullopt : models::FindSession(tx, current->session_id);
    if (!session) {
        throw BadRequest(kSessionNotFound, "Invalid Refresh Token: No Valid Session Found");
    }
    if (session->not_after && *session->not_after < models::Now()) {
        throw BadRequest(kSessionExpired, "Invalid Refresh Token: Session Expired");
    }
    return {std::move(*current), std::move(*user), std::move(*session)};
}

struct Refreshed {
    models::User user;
    std::vector<models::Identity> identities;
    std::vector<models::Factor> factors;
    IssuedSession session;
    bool reused = false;  // a revoked token replayed: the family was revoked
};

// A revoked token presented again. The child handed out again when the client lost the response
// that carried it; outside the reuse interval (with rotation) the family is revoked. nullopt: a
// revoked token still within the reuse interval, refreshed like a live one.
std::optional<Refreshed> ReplayRevoked(
    pqxx::work& tx, const RefreshFamily& family, Request& request, const conf::Config& config
) {
    Refreshed result;
    result.user = family.user;
    const auto active = models::FindActiveRefreshToken(tx, family.session.id);
    if (active && active->parent == family.current.token) {
        result.session = TokensForSession(
            tx,
            family.user,
            family.session.id,
            active->token,
            request,
            models::AuthenticationMethod::kTokenRefresh,
            config
        );
        return result;
    }
    const auto age = models::Now() - family.current.updated_at;
    if (config.security.refresh_token_rotation_enabled &&
        age > std::chrono::seconds(config.security.refresh_token_reuse_interval)) {
        models::RevokeSessionRefreshTokens(tx, family.session.id);  // committed, then 400
        models::RecordAudit(tx, family.user, "token_revoked", ClientIp(request));
        result.reused = true;
        return result;
    }
    return std::nullopt;
}

// Rotation: the presented token is revoked and its child issued.
IssuedSession Rotate(
    pqxx::work& tx, const RefreshFamily& family, Request& request, const conf::Config& config
) {
    const std::string ip = ClientIp(request);
    models::RevokeRefreshToken(tx, family.current.id);
    const auto child =
        models::CreateRefreshToken(tx, family.user.id, family.session.id, family.current.token);
    models::UpdateSessionRefreshInfo(tx, family.session.id, UserAgent(request), ip);
    models::RecordAudit(tx, family.user, "token_refreshed", ip);
    models::RecordAudit(tx, family.user, "token_revoked", ip);
    return TokensForSession(
        tx,
        family.user,
        family.session.id,
        child.token,
        request,
        models::AuthenticationMethod::kTokenRefresh,
        config
    );
}

struct Exchanged {
    models::User user;
    std::vector<models::Identity> identities;
    std::vector<models::Factor> factors;
    IssuedSession session;
};

constexpr const char* kNoFlowState = "invalid flow state, no valid flow state found";

// The flow of `auth_code` with its user, both locked, user first (the lock order of every
// handler). Of concurrent exchanges of one code, those behind the first find the row gone: 404.
std::pair<models::FlowState, models::User> LockFlow(pqxx::work& tx, const std::string& auth_code) {
    const auto unlocked = models::FindFlowStateByAuthCode(tx, auth_code);
    if (!unlocked || !unlocked->user_id) {
        throw NotFound(kFlowStateNotFound, kNoFlowState);
    }
    auto user = models::FindUserById(tx, *unlocked->user_id, models::Lock::kForUpdate);
    auto flow = models::FindFlowStateByAuthCode(tx, auth_code, models::Lock::kForUpdate);
    if (!flow || flow->user_id != unlocked->user_id) {
        throw NotFound(kFlowStateNotFound, kNoFlowState);
    }
    if (!user) {
        throw NotFound(kUserNotFound, "User not found");
    }
    return {std::move(*flow), std::move(*user)};
}

// The audit traits upstream records for a PKCE sign-in.
std::string ProviderTypeTraits(const std::string& provider_type) {
    rapidjson::Document traits(rapidjson::kObjectType);
    traits.AddMember(
        "provider_type",
        rapidjson::Value(
            provider_type.c_str(),
            static_cast<rapidjson::SizeType>(provider_type.size()),
            traits.GetAllocator()
        ),
        traits.GetAllocator()
    );
    return ToJson(traits);
}

// 400 bad_code_verifier with upstream's messages (internal/security/pkce.go).
void CheckVerifier(const models::FlowState& flow, const std::string& verifier) {
    switch (models::VerifyPkceChallenge(flow.code_challenge, flow.code_challenge_method, verifier)
    ) {
        case models::PkceCheck::kMatch:
            return;
        case models::PkceCheck::kMismatch:
            throw BadRequest(
                kBadCodeVerifier, "code challenge does not match previously saved code verifier"
            );
        case models::PkceCheck::kUnsupportedMethod:
            throw BadRequest(kBadCodeVerifier, "code challenge method not supported");
    }
}

}  // namespace

Response Api::Token(Request& request) {
    const auto grant = request.query.find("grant_type");
    const std::string grant_type = grant == request.query.end() ? std::string() : grant->second;
    const auto document = ParseJsonBody(request.body);
    if (grant_type == "password") {
        return PasswordGrant(request, document);
    }
    if (grant_type == "refresh_token") {
        return RefreshTokenGrant(request, document);
    }
    if (grant_type == "pkce") {
        return PkceGrant(request, document);
    }
    if (grant_type == "id_token" || grant_type == "web3") {
        throw BadRequest(
            kValidationFailed, "grant_type " + grant_type + " is not supported by this server"
        );
    }
    throw BadRequest(kInvalidCredentials, "unsupported_grant_type");
}

Response Api::PasswordGrant(Request& request, const rapidjson::Document& document) {
    const auto& config = deps_.config;
    const std::string email = PasswordGrantEmail(document, config);
    const std::string password = StringField(document, "password").value_or("");
    const std::string aud = RequestAudience(request, config);
    std::optional<models::User> user;
    {
        auto lease = deps_.database.Acquire();
        pqxx::read_transaction tx(lease.Connection());
        user = models::FindUserByEmailAndAudience(tx, email, aud);
    }
    // bcrypt runs outside any transaction and also for unknown users (same timing).
    bool password_ok = false;
    if (user && user->HasPassword()) {
        password_ok = hasher_.Verify(password, user->encrypted_password);
    } else {
        hasher_.VerifyAgainstDummy(password);
    }
    if (!user || !user->HasPassword()) {
        throw BadRequest(kInvalidCredentials, kInvalidLogin);
    }
    if (user->IsBanned(models::Now())) {
        throw BadRequest(kUserBanned, "User is banned");
    }
    if (!password_ok) {
        throw BadRequest(kInvalidCredentials, kInvalidLogin);
    }
    if (!user->IsConfirmed() && !config.mailer.allow_unverified_email_sign_ins) {
        throw BadRequest(kEmailNotConfirmed, "Email not confirmed");
    }
    std::vector<models::Identity> identities;
    std::vector<models::Factor> factors;
    IssuedSession session = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        models::RecordAudit(tx, *user, "login", ClientIp(request));
        identities = models::FindIdentitiesByUser(tx, user->id);
        factors = models::FindFactorsByUser(tx, user->id);
        return IssueSession(tx, *user, models::AuthenticationMethod::kPassword, request, config);
    });
    return SessionResponse(session, *user, identities, factors);
}

Response Api::RefreshTokenGrant(Request& request, const rapidjson::Document& document) {
    const auto& config = deps_.config;
    const std::string token = StringField(document, "refresh_token").value_or("");
    if (!ValidRefreshTokenFormat(token)) {
        throw BadRequest(kValidationFailed, "Refresh token is not valid");
    }
    const Refreshed refreshed = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        const RefreshFamily family = FindRefreshFamily(tx, token);
        auto replayed =
            family.current.revoked ? ReplayRevoked(tx, family, request, config) : std::nullopt;
        Refreshed result;
        if (replayed) {
            result = std::move(*replayed);
        } else {
            result.user = family.user;
            result.session = Rotate(tx, family, request, config);
        }
        result.identities = models::FindIdentitiesByUser(tx, family.user.id);
        result.factors = models::FindFactorsByUser(tx, family.user.id);
        return result;
    });
    if (refreshed.reused) {
        throw BadRequest(kRefreshTokenAlreadyUsed, "Invalid Refresh Token: Already Used");
    }
    return SessionResponse(
        refreshed.session, refreshed.user, refreshed.identities, refreshed.factors
    );
}

// Checks in upstream's order (token.go, PKCE): parameters, flow state, expiry, verifier. A
// failure rolls back and leaves the flow usable; success deletes it in the transaction that
// issues the session, so a code is exchanged once.
Response Api::PkceGrant(Request& request, const rapidjson::Document& document) {
    const auto& config = deps_.config;
    const std::string auth_code = StringField(document, "auth_code").value_or("");
    const std::string verifier = StringField(document, "code_verifier").value_or("");
    if (auth_code.empty() || verifier.empty()) {
        throw BadRequest(
            kValidationFailed,
            "invalid request: both auth code and code verifier should be non-empty"
        );
    }
    const Exchanged exchanged = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
        auto [flow, user] = LockFlow(tx, auth_code);
        if (models::IsExpired(flow, config.external.flow_state_expiry, models::Now())) {
            throw UnprocessableEntity(
                kFlowStateExpired, "invalid flow state, flow state has expired"
            );
        }
        CheckVerifier(flow, verifier);
        // Not checked upstream: a user banned since the link was used gets no session.
        if (user.IsBanned(models::Now())) {
            throw BadRequest(kUserBanned, "User is banned");
        }
        const auto method = models::ParseAuthenticationMethod(flow.authentication_method);
        if (!method) {  // a flow of a kind this server does not sign in (OAuth, SSO)
            throw HttpError(
                500,
                kUnexpectedFailure,
                "Internal Server Error",
                "unsupported authentication method " + flow.authentication_method
            );
        }
        models::RecordAudit(
            tx, user, "login", ClientIp(request), ProviderTypeTraits(flow.provider_type)
        );
        if (!models::DeleteFlowState(tx, flow.id)) {  // cannot happen under the row lock
            throw NotFound(kFlowStateNotFound, kNoFlowState);
        }
        Exchanged result;
        result.session = IssueSession(tx, user, *method, request, config);
        result.user = std::move(user);
        result.identities = models::FindIdentitiesByUser(tx, result.user.id);
        result.factors = models::FindFactorsByUser(tx, result.user.id);
        return result;
    });
    return SessionResponse(
        exchanged.session, exchanged.user, exchanged.identities, exchanged.factors
    );
}

}  // namespace gotrue::api
