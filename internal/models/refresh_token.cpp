#include "models/refresh_token.hpp"

#include "crypto/crypto.hpp"
#include "models/sql.hpp"
#include "models/user.hpp"

namespace gotrue::models {
namespace {

constexpr std::string_view kColumns = R"sql(
       id, token, coalesce(user_id, '') AS user_id, coalesce(revoked, false) AS revoked,
       coalesce(parent, '') AS parent, coalesce(session_id::text, '') AS session_id,
       (extract(epoch from created_at) * 1000000)::bigint AS created_at,
       (extract(epoch from updated_at) * 1000000)::bigint AS updated_at
)sql";

constexpr std::string_view kInsertPrefix = R"sql(
INSERT INTO refresh_tokens (instance_id, token, user_id, revoked, parent, session_id,
                            created_at, updated_at)
VALUES ($1, $2, $3, false, $4, $5::uuid, now(), now())
RETURNING)sql";
constexpr std::string_view kInsertRefreshToken = sql::Join<kInsertPrefix, kColumns>;

constexpr std::string_view kSelect = R"sql(SELECT)sql";
constexpr std::string_view kWhereToken = R"sql(
  FROM refresh_tokens WHERE instance_id = $1 AND token = $2 FOR UPDATE
)sql";
constexpr std::string_view kSelectRefreshTokenForUpdate = sql::Join<kSelect, kColumns, kWhereToken>;

constexpr std::string_view kWhereActive = R"sql(
  FROM refresh_tokens WHERE session_id = $1::uuid AND revoked = false ORDER BY id DESC LIMIT 1
)sql";
constexpr std::string_view kSelectActiveRefreshToken = sql::Join<kSelect, kColumns, kWhereActive>;

constexpr std::string_view kRevokeRefreshToken = R"sql(
UPDATE refresh_tokens SET revoked = true, updated_at = now() WHERE id = $1
)sql";

constexpr std::string_view kRevokeSessionRefreshTokens = R"sql(
UPDATE refresh_tokens SET revoked = true, updated_at = now() WHERE session_id = $1::uuid
)sql";

RefreshToken ReadRefreshToken(const pqxx::row& row) {
    RefreshToken token;
    token.id = row["id"].as<long long>();
    token.token = row["token"].as<std::string>();
    token.user_id = row["user_id"].as<std::string>();
    token.revoked = row["revoked"].as<bool>();
    token.parent = row["parent"].as<std::string>();
    token.session_id = row["session_id"].as<std::string>();
    token.created_at = ReadTime(row["created_at"]).value_or(Time{});
    token.updated_at = ReadTime(row["updated_at"]).value_or(Time{});
    return token;
}

std::optional<RefreshToken> FirstToken(const pqxx::result& rows) {
    if (rows.empty()) {
        return std::nullopt;
    }
    return ReadRefreshToken(rows[0]);
}

}  // namespace

RefreshToken CreateRefreshToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    std::string_view session_id,
    std::string_view parent
) {
    return ReadRefreshToken(sql::Exec1(
        tx,
        kInsertRefreshToken,
        std::string(kNilInstanceId),
        crypto::GenerateRefreshToken(),
        std::string(user_id),
        parent.empty() ? std::optional<std::string>() : std::optional<std::string>(parent),
        std::string(session_id)
    ));
}

std::optional<RefreshToken> FindRefreshToken(pqxx::transaction_base& tx, std::string_view token) {
    return FirstToken(
        sql::Exec(tx, kSelectRefreshTokenForUpdate, std::string(kNilInstanceId), std::string(token))
    );
}

std::optional<RefreshToken> FindActiveRefreshToken(
    pqxx::transaction_base& tx, std::string_view session_id
) {
    return FirstToken(sql::Exec(tx, kSelectActiveRefreshToken, std::string(session_id)));
}

void RevokeRefreshToken(pqxx::transaction_base& tx, long long id) {
    sql::Exec0(tx, kRevokeRefreshToken, id);
}

void RevokeSessionRefreshTokens(pqxx::transaction_base& tx, std::string_view session_id) {
    sql::Exec0(tx, kRevokeSessionRefreshTokens, std::string(session_id));
}

}  // namespace gotrue::models
