// POST /token?grant_type=password|refresh_token (contract §2.11-2.12).

#include <algorithm>
#include <cctype>

#include "api/api.hpp"
#include "api/http_types.hpp"
#include "api/request_info.hpp"
#include "api/sessions.hpp"
#include "api/transaction.hpp"
#include "crypto/password.hpp"
#include "models/audit_log.hpp"

namespace gotrue::api {
namespace {

constexpr const char* kInvalidLogin = "Invalid login credentials";

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

}  // namespace

Response Api::Token(Request& request) {
    const auto grant = request.query.find("grant_type");
    const std::string grant_type = grant == request.query.end() ? std::string() : grant->second;
    const auto& config = deps_.config;
    const auto document = ParseJsonBody(request.body);

    if (grant_type == "password") {
        const std::string email = StringField(document, "email").value_or("");
        const std::string phone = StringField(document, "phone").value_or("");
        const std::string password = StringField(document, "password").value_or("");
        if (!email.empty() && !phone.empty()) {
            throw BadRequest(
                kValidationFailed,
                "Only an email address or phone number should be provided on login."
            );
        }
        if (email.empty() && phone.empty()) {
            throw BadRequest(kValidationFailed, "missing email or phone");
        }
        if (!phone.empty()) {
            throw BadRequest(
                kPhoneProviderDisabled, "Phone logins are not supported by this server"
            );
        }
        if (!config.external.email_enabled) {
            throw UnprocessableEntity(kEmailProviderDisabled, "Email logins are disabled");
        }
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
        IssuedSession session = RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
            models::RecordAudit(tx, *user, "login", ClientIp(request));
            identities = models::FindIdentitiesByUser(tx, user->id);
            return IssueSession(tx, *user, "password", request, config);
        });
        return SessionResponse(session, *user, identities);
    }

    if (grant_type == "refresh_token") {
        const std::string token = StringField(document, "refresh_token").value_or("");
        if (!ValidRefreshTokenFormat(token)) {
            throw BadRequest(kValidationFailed, "Refresh token is not valid");
        }

        struct Refreshed {
            models::User user;
            std::vector<models::Identity> identities;
            IssuedSession session;
            bool reused = false;  // a revoked token replayed: the family was revoked
        };

        const Refreshed refreshed =
            RequestTransaction(request, deps_.database, [&](pqxx::work& tx) {
                Refreshed result;
                const auto current = models::FindRefreshToken(tx, token);
                if (!current) {
                    throw BadRequest(
                        kRefreshTokenNotFound, "Invalid Refresh Token: Refresh Token Not Found"
                    );
                }
                const auto user = models::FindUserById(tx, current->user_id);
                if (!user) {
                    throw BadRequest(
                        kRefreshTokenNotFound, "Invalid Refresh Token: Refresh Token Not Found"
                    );
                }
                if (user->IsBanned(models::Now())) {
                    throw BadRequest(kUserBanned, "Invalid Refresh Token: User Banned");
                }
                const auto session = current->session_id.empty()
                                         ? std::nullopt
                                         : models::FindSession(tx, current->session_id);
                if (!session) {
                    throw BadRequest(
                        kSessionNotFound, "Invalid Refresh Token: No Valid Session Found"
                    );
                }
                if (session->not_after && *session->not_after < models::Now()) {
                    throw BadRequest(kSessionExpired, "Invalid Refresh Token: Session Expired");
                }
                result.user = *user;
                result.identities = models::FindIdentitiesByUser(tx, user->id);
                if (current->revoked) {
                    const auto active = models::FindActiveRefreshToken(tx, session->id);
                    if (active && active->parent == current->token) {
                        // The client lost the response that carried the child: hand it out again.
                        result.session =
                            TokensForSession(tx, *user, session->id, active->token, config);
                        return result;
                    }
                    const auto age = models::Now() - current->updated_at;
                    if (config.security.refresh_token_rotation_enabled &&
                        age > std::chrono::seconds(config.security.refresh_token_reuse_interval)) {
                        models::RevokeSessionRefreshTokens(tx, session->id);  // committed, then 400
                        models::RecordAudit(tx, *user, "token_revoked", ClientIp(request));
                        result.reused = true;
                        return result;
                    }
                }
                models::RevokeRefreshToken(tx, current->id);
                const auto child =
                    models::CreateRefreshToken(tx, user->id, session->id, current->token);
                tx.exec_params0(
                    "UPDATE sessions SET refreshed_at = now() AT TIME ZONE 'utc', updated_at = "
                    "now(), user_agent = $2, "
                    "ip = $3::inet WHERE id = $1::uuid",
                    session->id,
                    UserAgent(request),
                    ClientIp(request).empty() ? std::optional<std::string>()
                                              : std::optional<std::string>(ClientIp(request))
                );
                models::RecordAudit(tx, *user, "token_refreshed", ClientIp(request));
                models::RecordAudit(tx, *user, "token_revoked", ClientIp(request));
                result.session = TokensForSession(tx, *user, session->id, child.token, config);
                return result;
            });
        if (refreshed.reused) {
            throw BadRequest(kRefreshTokenAlreadyUsed, "Invalid Refresh Token: Already Used");
        }
        return SessionResponse(refreshed.session, refreshed.user, refreshed.identities);
    }

    if (grant_type == "pkce" || grant_type == "id_token" || grant_type == "web3") {
        throw BadRequest(
            kValidationFailed, "grant_type " + grant_type + " is not supported by this server"
        );
    }
    throw BadRequest(kInvalidCredentials, "unsupported_grant_type");
}

}  // namespace gotrue::api
