#pragma once

// models: one file per table; functions take the transaction first, so it is always visible
// which transaction a query runs in. Tables are named without a schema: the connection's
// search_path is the auth namespace (storage::Database). "Not found" is std::nullopt.
// User-state transitions are functions here (named after supabase/auth internal/models/user.go),
// called inside the handler's transaction; each writes the user row and what belongs with it
// (the email identity, the one-time tokens).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "models/time.hpp"
#include "models/vocabulary.hpp"

namespace gotrue::models {

// Every row GoTrue writes carries the nil instance id (docs/database.md).
inline constexpr std::string_view kNilInstanceId = "00000000-0000-0000-0000-000000000000";

// Whether a read locks the rows it returns until the transaction ends.
enum class Lock { kNone, kForUpdate };

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

    // The code column of `type` and when it was last sent (OneTimeTokenTypeInfo).
    [[nodiscard]] const std::string& TokenOf(OneTimeTokenType type) const {
        return this->*InfoOf(type).token;
    }

    [[nodiscard]] const OptionalTime& SentAtOf(OneTimeTokenType type) const {
        return this->*InfoOf(type).sent_at;
    }
};

// Users are looked up by (lower(email), aud), non-SSO, as GoTrue does.
[[nodiscard]] std::optional<User> FindUserByEmailAndAudience(
    pqxx::transaction_base& tx,
    std::string_view email,
    std::string_view aud,
    Lock lock = Lock::kNone
);

// Users (of `aud`) with a pending email change from or to `email`: whom an email-change code
// sent to that address can belong to. Locked in id order with Lock::kForUpdate.
[[nodiscard]] std::vector<User> FindUsersWithPendingEmailChange(
    pqxx::transaction_base& tx,
    std::string_view email,
    std::string_view aud,
    Lock lock = Lock::kNone
);

[[nodiscard]] std::optional<User> FindUserById(
    pqxx::transaction_base& tx, std::string_view id, Lock lock = Lock::kNone
);

// A page of the admin user list: users of `aud` whose email or full_name contains `filter`
// (all for ""), by created_at then id.
struct UserPage {
    std::string aud;
    std::string filter;
    bool oldest_first = false;
    long long limit = 50;
    long long offset = 0;
};

[[nodiscard]] std::vector<User> FindUsersInAudience(
    pqxx::transaction_base& tx, const UserPage& page
);

// How many users the page's audience and filter match in all.
[[nodiscard]] long long CountUsersInAudience(pqxx::transaction_base& tx, const UserPage& page);

// Inserts `user` (id, aud, role, email, encrypted_password, metadata, timestamps as set).
void InsertUser(pqxx::transaction_base& tx, const User& user);

// Writes the mutable columns of `user` back (everything but id, instance, created_at, phone and
// the generated confirmed_at); updated_at = now().
void SaveUser(pqxx::transaction_base& tx, const User& user);

void DeleteUser(pqxx::transaction_base& tx, std::string_view id);

// Uses a code up: clears the code column of `type` if it still holds `expected`. False when
// another transaction used or replaced it first.
[[nodiscard]] bool ClaimUserToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    OneTimeTokenType type,
    std::string_view expected
);

// Puts back the code column of `type` and its send time (the undo of a mail that failed).
void RestoreUserToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    OneTimeTokenType type,
    std::string_view token,
    const OptionalTime& sent_at
);

// Puts back the pending new address (the undo of an email-change mail that failed).
void RestorePendingEmailChange(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view email_change
);

// Clears every code column of the user (the links in one_time_tokens are not touched).
void ClearUserTokens(pqxx::transaction_base& tx, std::string_view user_id);

// --- State transitions -------------------------------------------------------------------------

// The address is confirmed: email_confirmed_at set, the confirmation code cleared,
// email_verified in the user metadata and the email identity, the one-time tokens gone.
void Confirm(pqxx::transaction_base& tx, User& user);

// A recovery or magic link was used: the recovery code cleared, the one-time tokens gone; an
// address not yet confirmed is confirmed by it (email_verified as in Confirm).
void Recover(pqxx::transaction_base& tx, User& user);

// The pending email change takes effect: email = email_change (user and email identity),
// confirmed and verified, the change's codes and every one-time token gone. A user without an
// email identity (an anonymous one) gets it, and is no longer anonymous (upstream:
// emailChangeVerify in internal/api/verify.go).
void ConfirmEmailChange(pqxx::transaction_base& tx, User& user);

// The first of the two links of a secure email change was used (`type` says which): remembered
// in email_change_confirm_status, that side's code and link gone, the change still pending.
void ConfirmEmailChangeHalf(pqxx::transaction_base& tx, User& user, OneTimeTokenType type);

// Creates the email identity of a user that has none (an anonymous user's first address), for
// its current email with `verified` as email_verified, and re-derives app_metadata's provider
// and providers from its identities (upstream: createNewIdentity, UpdateAppMetaDataProviders).
// False, and nothing written, when the user has one.
bool EnsureEmailIdentity(pqxx::transaction_base& tx, User& user, bool verified);

// Sets the address on the user (row and metadata) and on its email identity.
void SetEmail(pqxx::transaction_base& tx, User& user, const std::string& email);

// What else a new password invalidates.
enum class PendingCodes { kKeep, kRevoke };

// Stores a new password hash and ends every session but `keep_session` ("" ends all). With
// PendingCodes::kRevoke every outstanding code and link goes too (PUT /user).
void UpdatePassword(
    pqxx::transaction_base& tx,
    User& user,
    const std::string& password_hash,
    PendingCodes codes,
    std::string_view keep_session = {}
);

// A sign-in: last_sign_in_at of the user and its email identity.
void UpdateLastSignInAt(pqxx::transaction_base& tx, User& user);

// Soft delete: the row stays for references, everything identifying is replaced (email, phone,
// password, codes, metadata, identity data and provider ids); sessions and tokens end.
void SoftDeleteUser(pqxx::transaction_base& tx, User& user);

}  // namespace gotrue::models
