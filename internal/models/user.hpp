#pragma once

// models: one file per table; functions take the transaction first, so it is always visible
// which transaction a query runs in. Tables are named without a schema: the connection's
// search_path is the auth namespace (storage::Database). "Not found" is std::nullopt.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "models/time.hpp"

namespace gotrue::models {

// Every row GoTrue writes carries the nil instance id (contract §4.1).
inline constexpr std::string_view kNilInstanceId = "00000000-0000-0000-0000-000000000000";

struct User {
    std::string id;
    std::string aud;
    std::string role;
    std::string email;  // "" when NULL
    std::string encrypted_password;
    OptionalTime email_confirmed_at;
    OptionalTime invited_at;
    std::string confirmation_token;
    OptionalTime confirmation_sent_at;
    std::string recovery_token;
    OptionalTime recovery_sent_at;
    std::string email_change_token_new;
    std::string email_change;  // pending new email
    OptionalTime email_change_sent_at;
    std::string email_change_token_current;
    int email_change_confirm_status = 0;
    OptionalTime last_sign_in_at;
    std::string raw_app_meta_data = "{}";   // JSON text
    std::string raw_user_meta_data = "{}";  // JSON text
    std::string phone;
    OptionalTime phone_confirmed_at;
    std::string phone_change;
    OptionalTime phone_change_sent_at;
    OptionalTime confirmed_at;
    std::string reauthentication_token;
    OptionalTime reauthentication_sent_at;
    OptionalTime banned_until;
    OptionalTime deleted_at;
    bool is_anonymous = false;
    bool is_sso_user = false;
    Time created_at{};
    Time updated_at{};

    [[nodiscard]] bool IsConfirmed() const { return email_confirmed_at.has_value(); }

    [[nodiscard]] bool IsBanned(Time now) const { return banned_until && *banned_until > now; }

    [[nodiscard]] bool HasPassword() const { return !encrypted_password.empty(); }
};

// Users are looked up by (lower(email), aud), non-SSO, as GoTrue does.
[[nodiscard]] std::optional<User> FindUserByEmailAndAudience(
    pqxx::transaction_base& tx,
    std::string_view email,
    std::string_view aud,
    bool for_update = false
);

// Users (of `aud`) with a pending email change from or to `email`: whom an email-change code
// sent to that address can belong to. Locked in id order with for_update.
[[nodiscard]] std::vector<User> FindUsersWithPendingEmailChange(
    pqxx::transaction_base& tx,
    std::string_view email,
    std::string_view aud,
    bool for_update = false
);

[[nodiscard]] std::optional<User> FindUserById(
    pqxx::transaction_base& tx, std::string_view id, bool for_update = false
);

// Inserts `user` (id, aud, role, email, encrypted_password, metadata, timestamps as set).
void InsertUser(pqxx::transaction_base& tx, const User& user);

// Writes the mutable columns of `user` back (everything but id, instance, created_at and the
// generated confirmed_at); updated_at = now().
void SaveUser(pqxx::transaction_base& tx, const User& user);

void DeleteUser(pqxx::transaction_base& tx, std::string_view id);

// Uses a code up: clears token column `column` ("confirmation_token", "recovery_token",
// "email_change_token_new", "email_change_token_current" or "reauthentication_token") if it
// still holds `expected`. False when another transaction used or replaced it first.
[[nodiscard]] bool ClaimUserToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    std::string_view column,
    std::string_view expected
);

// Clears every code column of the user (the links in one_time_tokens are not touched).
void ClearUserTokens(pqxx::transaction_base& tx, std::string_view user_id);

}  // namespace gotrue::models
