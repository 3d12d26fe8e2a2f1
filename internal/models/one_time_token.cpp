#include "models/one_time_token.hpp"

#include <stdexcept>

#include "models/sql.hpp"

namespace gotrue::models {
namespace {

constexpr std::string_view kInsertOneTimeToken = R"sql(
INSERT INTO one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at,
                             updated_at)
VALUES (gen_random_uuid(), $1::uuid, $2::one_time_token_type, $3, $4, now(), now())
)sql";

constexpr std::string_view kDeleteOneTimeToken = R"sql(
DELETE FROM one_time_tokens WHERE user_id = $1::uuid AND token_type = $2::one_time_token_type
)sql";

constexpr std::string_view kDeleteOneTimeTokensOfUser = R"sql(
DELETE FROM one_time_tokens WHERE user_id = $1::uuid
)sql";

constexpr std::string_view kSelectOneTimeTokenOfUser = R"sql(
SELECT user_id::text AS user_id, token_type::text AS token_type, token_hash, relates_to
  FROM one_time_tokens
 WHERE user_id = $1::uuid AND token_type = $2::one_time_token_type
)sql";

// $2: the types as one comma-separated text (TypeList).
constexpr std::string_view kSelectOneTimeTokenOwner = R"sql(
SELECT user_id::text AS user_id
  FROM one_time_tokens
 WHERE token_hash = $1 AND token_type::text = ANY (string_to_array($2, ','))
 LIMIT 1
)sql";

constexpr std::string_view kClaimOneTimeToken = R"sql(
DELETE FROM one_time_tokens
 WHERE user_id = $1::uuid AND token_hash = $2 AND token_type::text = ANY (string_to_array($3, ','))
RETURNING user_id::text AS user_id, token_type::text AS token_type, token_hash, relates_to
)sql";

constexpr std::string_view kDeleteOneTimeTokensHoldingCodes = R"sql(
DELETE FROM one_time_tokens o
 USING users u
 WHERE u.id = $1::uuid AND o.user_id = u.id
   AND o.token_hash IN (u.confirmation_token, u.recovery_token, u.email_change_token_new,
                        u.email_change_token_current, u.reauthentication_token)
)sql";

// `types` as one text parameter for `= ANY (string_to_array($n, ','))`.
std::string TypeList(std::span<const OneTimeTokenType> types) {
    std::string list;
    for (const auto type : types) {
        list += (list.empty() ? "" : ",") + std::string(String(type));
    }
    return list;
}

std::optional<OneTimeToken> FirstToken(const pqxx::result& rows) {
    if (rows.empty()) {
        return std::nullopt;
    }
    const auto& row = rows[0];
    const auto type = ParseOneTimeTokenType(row["token_type"].as<std::string>());
    if (!type) {  // only rows of the types asked for are read
        throw std::runtime_error("one_time_tokens: unexpected token_type");
    }
    return OneTimeToken{
        row["user_id"].as<std::string>(),
        *type,
        row["token_hash"].as<std::string>(),
        row["relates_to"].as<std::string>(),
    };
}

}  // namespace

void SetOneTimeToken(pqxx::transaction_base& tx, const OneTimeToken& token) {
    DeleteOneTimeToken(tx, token.user_id, token.token_type);
    sql::Exec0(
        tx,
        kInsertOneTimeToken,
        token.user_id,
        std::string(String(token.token_type)),
        token.token_hash,
        token.relates_to
    );
}

void DeleteOneTimeToken(
    pqxx::transaction_base& tx, std::string_view user_id, OneTimeTokenType token_type
) {
    sql::Exec0(tx, kDeleteOneTimeToken, std::string(user_id), std::string(String(token_type)));
}

void DeleteOneTimeTokensOfUser(pqxx::transaction_base& tx, std::string_view user_id) {
    sql::Exec0(tx, kDeleteOneTimeTokensOfUser, std::string(user_id));
}

std::optional<OneTimeToken> FindOneTimeTokenOfUser(
    pqxx::transaction_base& tx, std::string_view user_id, OneTimeTokenType token_type
) {
    return FirstToken(sql::Exec(
        tx, kSelectOneTimeTokenOfUser, std::string(user_id), std::string(String(token_type))
    ));
}

std::optional<std::string> FindOneTimeTokenOwner(
    pqxx::transaction_base& tx, std::string_view token_hash, std::span<const OneTimeTokenType> types
) {
    const auto rows =
        sql::Exec(tx, kSelectOneTimeTokenOwner, std::string(token_hash), TypeList(types));
    if (rows.empty()) {
        return std::nullopt;
    }
    return rows[0]["user_id"].as<std::string>();
}

std::optional<OneTimeToken> ClaimOneTimeToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    std::string_view token_hash,
    std::span<const OneTimeTokenType> types
) {
    return FirstToken(sql::Exec(
        tx, kClaimOneTimeToken, std::string(user_id), std::string(token_hash), TypeList(types)
    ));
}

void DeleteOneTimeTokensHoldingCodes(pqxx::transaction_base& tx, std::string_view user_id) {
    sql::Exec0(tx, kDeleteOneTimeTokensHoldingCodes, std::string(user_id));
}

}  // namespace gotrue::models
