#include "models/session.hpp"

#include "crypto/crypto.hpp"
#include "models/user.hpp"

namespace gotrue::models {
namespace {

RefreshToken ReadRefreshToken(const pqxx::row& row) {
    RefreshToken token;
    token.id = row[0].as<long long>();
    token.token = row[1].as<std::string>();
    token.user_id = row[2].as<std::string>();
    token.revoked = row[3].as<bool>();
    token.parent = row[4].as<std::string>();
    token.session_id = row[5].as<std::string>();
    token.created_at = ReadTime(row[6]).value_or(Time{});
    token.updated_at = ReadTime(row[7]).value_or(Time{});
    return token;
}

std::string RefreshTokenColumns() {
    return "id, token, coalesce(user_id, ''), coalesce(revoked, false), coalesce(parent, ''), "
           "coalesce(session_id::text, ''), " +
           MicrosOf("created_at") + ", " + MicrosOf("updated_at");
}

}  // namespace

void InsertIdentity(pqxx::transaction_base& tx, const Identity& identity) {
    tx.exec_params0(
        "INSERT INTO identities (id, provider_id, user_id, identity_data, provider, "
        "last_sign_in_at, "
        "created_at, updated_at) VALUES ($1::uuid, $2, $3::uuid, $4::jsonb, $5, now(), now(), "
        "now())",
        identity.id,
        identity.provider_id,
        identity.user_id,
        identity.identity_data,
        identity.provider
    );
}

std::vector<Identity> FindIdentitiesByUser(pqxx::transaction_base& tx, std::string_view user_id) {
    std::vector<Identity> identities;
    const auto rows = tx.exec_params(
        "SELECT id::text, provider_id, user_id::text, identity_data::text, provider, " +
            MicrosOf("last_sign_in_at") + ", " + MicrosOf("created_at") + ", " +
            MicrosOf("updated_at") +
            ", coalesce(email, '') FROM identities WHERE user_id = $1::uuid ORDER BY created_at",
        std::string(user_id)
    );
    for (const auto& row : rows) {
        Identity identity;
        identity.id = row[0].as<std::string>();
        identity.provider_id = row[1].as<std::string>();
        identity.user_id = row[2].as<std::string>();
        identity.identity_data = row[3].as<std::string>();
        identity.provider = row[4].as<std::string>();
        identity.last_sign_in_at = ReadTime(row[5]);
        identity.created_at = ReadTime(row[6]).value_or(Time{});
        identity.updated_at = ReadTime(row[7]).value_or(Time{});
        identity.email = row[8].as<std::string>();
        identities.push_back(std::move(identity));
    }
    return identities;
}

void UpdateIdentityData(
    pqxx::transaction_base& tx, std::string_view identity_id, const std::string& identity_data
) {
    tx.exec_params0(
        "UPDATE identities SET identity_data = $2::jsonb, updated_at = now() WHERE id = $1::uuid",
        std::string(identity_id),
        identity_data
    );
}

Session CreateSession(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    const std::string& user_agent,
    const std::string& ip
) {
    const auto row = tx.exec_params1(
        "INSERT INTO sessions (id, user_id, aal, created_at, updated_at, refreshed_at, user_agent, "
        "ip) "
        "VALUES (gen_random_uuid(), $1::uuid, 'aal1', now(), now(), now() AT TIME ZONE 'utc', $2, "
        "$3::inet) RETURNING id::text, " +
            MicrosOf("created_at"),
        std::string(user_id),
        user_agent,
        ip.empty() ? std::optional<std::string>() : std::optional<std::string>(ip)
    );
    Session session;
    session.id = row[0].as<std::string>();
    session.user_id = std::string(user_id);
    session.created_at = ReadTime(row[1]).value_or(Time{});
    session.updated_at = session.created_at;
    return session;
}

std::optional<Session> FindSession(pqxx::transaction_base& tx, std::string_view id) {
    const auto rows = tx.exec_params(
        "SELECT id::text, user_id::text, coalesce(aal::text, 'aal1'), " + MicrosOf("not_after") +
            ", " + MicrosOf("created_at") + ", " + MicrosOf("updated_at") +
            " FROM sessions WHERE id = $1::uuid",
        std::string(id)
    );
    if (rows.empty()) {
        return std::nullopt;
    }
    Session session;
    session.id = rows[0][0].as<std::string>();
    session.user_id = rows[0][1].as<std::string>();
    session.aal = rows[0][2].as<std::string>();
    session.not_after = ReadTime(rows[0][3]);
    session.created_at = ReadTime(rows[0][4]).value_or(Time{});
    session.updated_at = ReadTime(rows[0][5]).value_or(Time{});
    return session;
}

void DeleteSession(pqxx::transaction_base& tx, std::string_view id) {
    tx.exec_params0("DELETE FROM sessions WHERE id = $1::uuid", std::string(id));
}

void DeleteSessionsOfUser(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view keep
) {
    if (keep.empty()) {
        tx.exec_params0("DELETE FROM sessions WHERE user_id = $1::uuid", std::string(user_id));
    } else {
        tx.exec_params0(
            "DELETE FROM sessions WHERE user_id = $1::uuid AND id <> $2::uuid",
            std::string(user_id),
            std::string(keep)
        );
    }
}

void AddAmrClaim(
    pqxx::transaction_base& tx, std::string_view session_id, const std::string& method
) {
    tx.exec_params0(
        "INSERT INTO mfa_amr_claims (id, session_id, created_at, updated_at, "
        "authentication_method) "
        "VALUES (gen_random_uuid(), $1::uuid, now(), now(), $2) ON CONFLICT (session_id, "
        "authentication_method) DO UPDATE SET updated_at = now()",
        std::string(session_id),
        method
    );
}

std::vector<AmrClaim> FindAmrClaims(pqxx::transaction_base& tx, std::string_view session_id) {
    std::vector<AmrClaim> claims;
    for (const auto& row : tx.exec_params(
             "SELECT authentication_method, " + MicrosOf("updated_at") +
                 " FROM mfa_amr_claims WHERE session_id = $1::uuid ORDER BY updated_at",
             std::string(session_id)
         )) {
        claims.push_back(AmrClaim{row[0].as<std::string>(), ReadTime(row[1]).value_or(Time{})});
    }
    return claims;
}

RefreshToken CreateRefreshToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    std::string_view session_id,
    std::string_view parent
) {
    const auto row = tx.exec_params1(
        "INSERT INTO refresh_tokens (instance_id, token, user_id, revoked, parent, session_id, "
        "created_at, updated_at) VALUES ($1, $2, $3, false, $4, $5::uuid, now(), now()) "
        "RETURNING " +
            RefreshTokenColumns(),
        std::string(kNilInstanceId),
        crypto::GenerateRefreshToken(),
        std::string(user_id),
        parent.empty() ? std::optional<std::string>()
                       : std::optional<std::string>(std::string(parent)),
        std::string(session_id)
    );
    return ReadRefreshToken(row);
}

std::optional<RefreshToken> FindRefreshToken(pqxx::transaction_base& tx, std::string_view token) {
    const auto rows = tx.exec_params(
        "SELECT " + RefreshTokenColumns() +
            " FROM refresh_tokens WHERE instance_id = $1 AND token = $2 FOR UPDATE",
        std::string(kNilInstanceId),
        std::string(token)
    );
    if (rows.empty()) {
        return std::nullopt;
    }
    return ReadRefreshToken(rows[0]);
}

std::optional<RefreshToken> FindActiveRefreshToken(
    pqxx::transaction_base& tx, std::string_view session_id
) {
    const auto rows = tx.exec_params(
        "SELECT " + RefreshTokenColumns() +
            " FROM refresh_tokens WHERE session_id = $1::uuid AND revoked = false ORDER BY id DESC "
            "LIMIT 1",
        std::string(session_id)
    );
    if (rows.empty()) {
        return std::nullopt;
    }
    return ReadRefreshToken(rows[0]);
}

void RevokeRefreshToken(pqxx::transaction_base& tx, long long id) {
    tx.exec_params0(
        "UPDATE refresh_tokens SET revoked = true, updated_at = now() WHERE id = $1", id
    );
}

void RevokeSessionRefreshTokens(pqxx::transaction_base& tx, std::string_view session_id) {
    tx.exec_params0(
        "UPDATE refresh_tokens SET revoked = true, updated_at = now() WHERE session_id = $1::uuid",
        std::string(session_id)
    );
}

}  // namespace gotrue::models
