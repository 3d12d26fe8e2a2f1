#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "models/time.hpp"

namespace gotrue::models {

// auth.identities (contract §4.3).
struct Identity {
    std::string id;           // row uuid ("identity_id" in JSON)
    std::string provider_id;  // user id for email
    std::string user_id;
    std::string identity_data = "{}";  // JSON text
    std::string provider;
    OptionalTime last_sign_in_at;
    Time created_at{};
    Time updated_at{};
    std::string email;  // generated column
};

void InsertIdentity(pqxx::transaction_base& tx, const Identity& identity);
[[nodiscard]] std::vector<Identity> FindIdentitiesByUser(
    pqxx::transaction_base& tx, std::string_view user_id
);
void UpdateIdentityData(
    pqxx::transaction_base& tx, std::string_view identity_id, const std::string& identity_data
);

// auth.sessions (contract §4.4).
struct Session {
    std::string id;
    std::string user_id;
    std::string aal = "aal1";
    OptionalTime not_after;
    Time created_at{};
    Time updated_at{};
};

[[nodiscard]] Session CreateSession(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    const std::string& user_agent,
    const std::string& ip
);
[[nodiscard]] std::optional<Session> FindSession(pqxx::transaction_base& tx, std::string_view id);
void DeleteSession(pqxx::transaction_base& tx, std::string_view id);
// scope "global": every session of the user; "others": all but `keep`.
void DeleteSessionsOfUser(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view keep = {}
);

// One row per authentication method used on a session; the source of the JWT amr claim.
struct AmrClaim {
    std::string method;
    Time updated_at{};
};

void AddAmrClaim(
    pqxx::transaction_base& tx, std::string_view session_id, const std::string& method
);
[[nodiscard]] std::vector<AmrClaim> FindAmrClaims(
    pqxx::transaction_base& tx, std::string_view session_id
);

// auth.refresh_tokens.
struct RefreshToken {
    long long id = 0;
    std::string token;
    std::string user_id;
    bool revoked = false;
    std::string parent;
    std::string session_id;
    Time created_at{};
    Time updated_at{};
};

[[nodiscard]] RefreshToken CreateRefreshToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    std::string_view session_id,
    std::string_view parent
);
// Locks the row (FOR UPDATE) so concurrent refreshes of one token serialise.
[[nodiscard]] std::optional<RefreshToken> FindRefreshToken(
    pqxx::transaction_base& tx, std::string_view token
);
// The newest non-revoked token of the session, if any.
[[nodiscard]] std::optional<RefreshToken> FindActiveRefreshToken(
    pqxx::transaction_base& tx, std::string_view session_id
);
void RevokeRefreshToken(pqxx::transaction_base& tx, long long id);
void RevokeSessionRefreshTokens(pqxx::transaction_base& tx, std::string_view session_id);

}  // namespace gotrue::models
