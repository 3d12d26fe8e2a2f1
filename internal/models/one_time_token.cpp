#include "models/one_time_token.hpp"

namespace gotrue::models {
namespace {

// `types` as one text parameter for `= ANY (string_to_array($n, ','))`.
std::string TypeList(const std::vector<std::string>& types) {
    std::string list;
    for (const auto& type : types) {
        list += (list.empty() ? "" : ",") + type;
    }
    return list;
}

OneTimeToken ReadToken(const pqxx::row& row) {
    return OneTimeToken{
        row[0].as<std::string>(),
        row[1].as<std::string>(),
        row[2].as<std::string>(),
        row[3].as<std::string>(),
    };
}

std::optional<OneTimeToken> FirstToken(const pqxx::result& rows) {
    if (rows.empty()) {
        return std::nullopt;
    }
    return ReadToken(rows[0]);
}

constexpr const char* kTokenColumns = "user_id::text, token_type::text, token_hash, relates_to";

}  // namespace

void SetOneTimeToken(pqxx::transaction_base& tx, const OneTimeToken& token) {
    DeleteOneTimeToken(tx, token.user_id, token.token_type);
    tx.exec_params0(
        "INSERT INTO one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at, "
        "updated_at) VALUES (gen_random_uuid(), $1::uuid, $2::one_time_token_type, $3, $4, now(), "
        "now())",
        token.user_id,
        token.token_type,
        token.token_hash,
        token.relates_to
    );
}

void DeleteOneTimeToken(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view token_type
) {
    tx.exec_params0(
        "DELETE FROM one_time_tokens WHERE user_id = $1::uuid AND token_type = "
        "$2::one_time_token_type",
        std::string(user_id),
        std::string(token_type)
    );
}

void DeleteOneTimeTokensOfUser(pqxx::transaction_base& tx, std::string_view user_id) {
    tx.exec_params0("DELETE FROM one_time_tokens WHERE user_id = $1::uuid", std::string(user_id));
}

std::optional<OneTimeToken> FindOneTimeTokenOfUser(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view token_type
) {
    return FirstToken(tx.exec_params(
        std::string("SELECT ") + kTokenColumns +
            " FROM one_time_tokens WHERE user_id = $1::uuid AND token_type = "
            "$2::one_time_token_type",
        std::string(user_id),
        std::string(token_type)
    ));
}

std::optional<std::string> FindOneTimeTokenOwner(
    pqxx::transaction_base& tx, std::string_view token_hash, const std::vector<std::string>& types
) {
    const auto rows = tx.exec_params(
        "SELECT user_id::text FROM one_time_tokens WHERE token_hash = $1 AND token_type::text = "
        "ANY (string_to_array($2, ',')) LIMIT 1",
        std::string(token_hash),
        TypeList(types)
    );
    if (rows.empty()) {
        return std::nullopt;
    }
    return rows[0][0].as<std::string>();
}

std::optional<OneTimeToken> ClaimOneTimeToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    std::string_view token_hash,
    const std::vector<std::string>& types
) {
    return FirstToken(tx.exec_params(
        std::string("DELETE FROM one_time_tokens WHERE user_id = $1::uuid AND token_hash = $2 AND "
                    "token_type::text = ANY (string_to_array($3, ',')) RETURNING "
        ) + kTokenColumns,
        std::string(user_id),
        std::string(token_hash),
        TypeList(types)
    ));
}

void DeleteOneTimeTokensHoldingCodes(pqxx::transaction_base& tx, std::string_view user_id) {
    tx.exec_params0(
        "DELETE FROM one_time_tokens o USING users u WHERE u.id = $1::uuid AND o.user_id = u.id "
        "AND o.token_hash IN (u.confirmation_token, u.recovery_token, u.email_change_token_new, "
        "u.email_change_token_current, u.reauthentication_token)",
        std::string(user_id)
    );
}

}  // namespace gotrue::models
