#include "models/user.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace gotrue::models {
namespace {

const std::string& UserColumns() {
    static const std::string kColumns = [] {
        std::string columns =
            "id::text, coalesce(aud, ''), coalesce(role, ''), coalesce(email, ''), "
            "coalesce(encrypted_password, ''), ";
        const std::vector<std::string> times{
            "email_confirmed_at",
            "invited_at",
            "confirmation_sent_at",
            "recovery_sent_at",
            "email_change_sent_at",
            "last_sign_in_at",
            "phone_confirmed_at",
            "phone_change_sent_at",
            "confirmed_at",
            "reauthentication_sent_at",
            "banned_until",
            "deleted_at",
            "created_at",
            "updated_at",
        };
        for (const auto& column : times) {
            columns += MicrosOf(column) + ", ";
        }
        columns +=
            "coalesce(confirmation_token, ''), coalesce(recovery_token, ''), "
            "coalesce(email_change_token_new, ''), coalesce(email_change, ''), "
            "coalesce(email_change_token_current, ''), coalesce(email_change_confirm_status, 0), "
            "coalesce(raw_app_meta_data, '{}')::text, coalesce(raw_user_meta_data, '{}')::text, "
            "coalesce(phone, ''), coalesce(phone_change, ''), coalesce(reauthentication_token, "
            "''), "
            "is_anonymous, is_sso_user";
        return columns;
    }();
    return kColumns;
}

User ReadUser(const pqxx::row& row) {
    User user;
    int i = 0;
    user.id = row[i++].as<std::string>();
    user.aud = row[i++].as<std::string>();
    user.role = row[i++].as<std::string>();
    user.email = row[i++].as<std::string>();
    user.encrypted_password = row[i++].as<std::string>();
    user.email_confirmed_at = ReadTime(row[i++]);
    user.invited_at = ReadTime(row[i++]);
    user.confirmation_sent_at = ReadTime(row[i++]);
    user.recovery_sent_at = ReadTime(row[i++]);
    user.email_change_sent_at = ReadTime(row[i++]);
    user.last_sign_in_at = ReadTime(row[i++]);
    user.phone_confirmed_at = ReadTime(row[i++]);
    user.phone_change_sent_at = ReadTime(row[i++]);
    user.confirmed_at = ReadTime(row[i++]);
    user.reauthentication_sent_at = ReadTime(row[i++]);
    user.banned_until = ReadTime(row[i++]);
    user.deleted_at = ReadTime(row[i++]);
    user.created_at = ReadTime(row[i++]).value_or(Time{});
    user.updated_at = ReadTime(row[i++]).value_or(Time{});
    user.confirmation_token = row[i++].as<std::string>();
    user.recovery_token = row[i++].as<std::string>();
    user.email_change_token_new = row[i++].as<std::string>();
    user.email_change = row[i++].as<std::string>();
    user.email_change_token_current = row[i++].as<std::string>();
    user.email_change_confirm_status = row[i++].as<int>();
    user.raw_app_meta_data = row[i++].as<std::string>();
    user.raw_user_meta_data = row[i++].as<std::string>();
    user.phone = row[i++].as<std::string>();
    user.phone_change = row[i++].as<std::string>();
    user.reauthentication_token = row[i++].as<std::string>();
    user.is_anonymous = row[i++].as<bool>();
    user.is_sso_user = row[i++].as<bool>();
    return user;
}

std::optional<User> FirstUser(const pqxx::result& result) {
    if (result.empty()) {
        return std::nullopt;
    }
    return ReadUser(result[0]);
}

std::optional<std::string> NullIfEmpty(const std::string& value) {
    if (value.empty()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::optional<User> FindUserByEmailAndAudience(
    pqxx::transaction_base& tx, std::string_view email, std::string_view aud, bool for_update
) {
    return FirstUser(tx.exec_params(
        "SELECT " + UserColumns() +
            " FROM users WHERE instance_id = $1 AND lower(email) = lower($2) AND aud = $3 "
            "AND is_sso_user = false ORDER BY created_at LIMIT 1" +
            (for_update ? " FOR UPDATE" : ""),
        std::string(kNilInstanceId),
        std::string(email),
        std::string(aud)
    ));
}

std::vector<User> FindUsersWithPendingEmailChange(
    pqxx::transaction_base& tx, std::string_view email, std::string_view aud, bool for_update
) {
    const auto rows = tx.exec_params(
        "SELECT " + UserColumns() +
            " FROM users WHERE instance_id = $1 AND aud = $3 AND is_sso_user = false AND "
            "coalesce(email_change, '') <> '' AND (lower(email) = lower($2) OR "
            "lower(email_change) = lower($2)) ORDER BY id" +
            (for_update ? " FOR UPDATE" : ""),
        std::string(kNilInstanceId),
        std::string(email),
        std::string(aud)
    );
    std::vector<User> users;
    for (const auto& row : rows) {
        users.push_back(ReadUser(row));
    }
    return users;
}

std::optional<User> FindUserById(pqxx::transaction_base& tx, std::string_view id, bool for_update) {
    return FirstUser(tx.exec_params(
        "SELECT " + UserColumns() + " FROM users WHERE id = $1::uuid" +
            (for_update ? " FOR UPDATE" : ""),
        std::string(id)
    ));
}

void InsertUser(pqxx::transaction_base& tx, const User& user) {
    tx.exec_params0(
        "INSERT INTO users (instance_id, id, aud, role, email, encrypted_password, "
        "raw_app_meta_data, raw_user_meta_data, email_confirmed_at, invited_at, is_anonymous, "
        "confirmation_token, recovery_token, email_change_token_new, email_change, "
        "email_change_token_current, phone_change, phone_change_token, reauthentication_token, "
        "created_at, updated_at) VALUES ($1, $2::uuid, $3, $4, $5, $6, $7::jsonb, $8::jsonb, " +
            SqlTime(9) + ", " + SqlTime(10) +
            ", $11, '', '', '', '', '', '', '', '', now(), now())",
        std::string(kNilInstanceId),
        user.id,
        user.aud,
        user.role,
        NullIfEmpty(user.email),
        user.encrypted_password,
        user.raw_app_meta_data,
        user.raw_user_meta_data,
        TimeParam(user.email_confirmed_at),
        TimeParam(user.invited_at),
        user.is_anonymous
    );
}

void SaveUser(pqxx::transaction_base& tx, const User& user) {
    tx.exec_params0(
        "UPDATE users SET aud = $2, role = $3, email = $4, encrypted_password = $5, "
        "email_confirmed_at = " +
            SqlTime(6) + ", invited_at = " + SqlTime(7) +
            ", confirmation_token = $8, confirmation_sent_at = " + SqlTime(9) +
            ", recovery_token = $10, recovery_sent_at = " + SqlTime(11) +
            ", email_change_token_new = $12, email_change = $13, email_change_sent_at = " +
            SqlTime(14) +
            ", email_change_token_current = $15, email_change_confirm_status = $16, "
            "last_sign_in_at = " +
            SqlTime(17) +
            ", raw_app_meta_data = $18::jsonb, raw_user_meta_data = $19::jsonb, "
            "reauthentication_token = $20, reauthentication_sent_at = " +
            SqlTime(21) + ", banned_until = " + SqlTime(22) + ", deleted_at = " + SqlTime(23) +
            ", is_anonymous = $24, updated_at = now() WHERE id = $1::uuid",
        user.id,
        user.aud,
        user.role,
        NullIfEmpty(user.email),
        user.encrypted_password,
        TimeParam(user.email_confirmed_at),
        TimeParam(user.invited_at),
        user.confirmation_token,
        TimeParam(user.confirmation_sent_at),
        user.recovery_token,
        TimeParam(user.recovery_sent_at),
        user.email_change_token_new,
        user.email_change,
        TimeParam(user.email_change_sent_at),
        user.email_change_token_current,
        user.email_change_confirm_status,
        TimeParam(user.last_sign_in_at),
        user.raw_app_meta_data,
        user.raw_user_meta_data,
        user.reauthentication_token,
        TimeParam(user.reauthentication_sent_at),
        TimeParam(user.banned_until),
        TimeParam(user.deleted_at),
        user.is_anonymous
    );
}

void DeleteUser(pqxx::transaction_base& tx, std::string_view id) {
    tx.exec_params0("DELETE FROM users WHERE id = $1::uuid", std::string(id));
}

bool ClaimUserToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    std::string_view column,
    std::string_view expected
) {
    // The column name goes into the statement: only the code columns are accepted.
    static const std::vector<std::string_view> kTokenColumns{
        "confirmation_token",
        "recovery_token",
        "email_change_token_new",
        "email_change_token_current",
        "reauthentication_token",
    };
    if (std::find(kTokenColumns.begin(), kTokenColumns.end(), column) == kTokenColumns.end()) {
        throw std::invalid_argument("not a token column: " + std::string(column));
    }
    const std::string name(column);
    const auto rows = tx.exec_params(
        "UPDATE users SET " + name + " = '', updated_at = now() WHERE id = $1::uuid AND " + name +
            " = $2 RETURNING id",
        std::string(user_id),
        std::string(expected)
    );
    return rows.size() == 1;
}

void ClearUserTokens(pqxx::transaction_base& tx, std::string_view user_id) {
    tx.exec_params0(
        "UPDATE users SET confirmation_token = '', recovery_token = '', email_change_token_new = "
        "'', email_change_token_current = '', reauthentication_token = '', updated_at = now() "
        "WHERE id = $1::uuid",
        std::string(user_id)
    );
}

}  // namespace gotrue::models
