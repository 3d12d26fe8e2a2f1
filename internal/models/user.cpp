#include "models/user.hpp"

#include <array>
#include <stdexcept>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/crypto.hpp"
#include "models/identity.hpp"
#include "models/one_time_token.hpp"
#include "models/session.hpp"
#include "models/sql.hpp"

namespace gotrue::models {
namespace {

// Timestamps are read as microseconds since the epoch (ReadTime) and written as such
// (TimeParam, to_timestamp($n / 1e6)).
constexpr std::string_view kSelectUser = R"sql(
SELECT id::text AS id, coalesce(aud, '') AS aud, coalesce(role, '') AS role,
       coalesce(email, '') AS email, coalesce(encrypted_password, '') AS encrypted_password,
       (extract(epoch from email_confirmed_at) * 1000000)::bigint AS email_confirmed_at,
       (extract(epoch from invited_at) * 1000000)::bigint AS invited_at,
       (extract(epoch from confirmation_sent_at) * 1000000)::bigint AS confirmation_sent_at,
       (extract(epoch from recovery_sent_at) * 1000000)::bigint AS recovery_sent_at,
       (extract(epoch from email_change_sent_at) * 1000000)::bigint AS email_change_sent_at,
       (extract(epoch from last_sign_in_at) * 1000000)::bigint AS last_sign_in_at,
       (extract(epoch from phone_confirmed_at) * 1000000)::bigint AS phone_confirmed_at,
       (extract(epoch from phone_change_sent_at) * 1000000)::bigint AS phone_change_sent_at,
       (extract(epoch from confirmed_at) * 1000000)::bigint AS confirmed_at,
       (extract(epoch from reauthentication_sent_at) * 1000000)::bigint
           AS reauthentication_sent_at,
       (extract(epoch from banned_until) * 1000000)::bigint AS banned_until,
       (extract(epoch from deleted_at) * 1000000)::bigint AS deleted_at,
       (extract(epoch from created_at) * 1000000)::bigint AS created_at,
       (extract(epoch from updated_at) * 1000000)::bigint AS updated_at,
       coalesce(confirmation_token, '') AS confirmation_token,
       coalesce(recovery_token, '') AS recovery_token,
       coalesce(email_change_token_new, '') AS email_change_token_new,
       coalesce(email_change, '') AS email_change,
       coalesce(email_change_token_current, '') AS email_change_token_current,
       coalesce(email_change_confirm_status, 0) AS email_change_confirm_status,
       coalesce(raw_app_meta_data, '{}')::text AS raw_app_meta_data,
       coalesce(raw_user_meta_data, '{}')::text AS raw_user_meta_data,
       coalesce(phone, '') AS phone, coalesce(phone_change, '') AS phone_change,
       coalesce(reauthentication_token, '') AS reauthentication_token,
       is_anonymous, is_sso_user
  FROM users
)sql";

constexpr std::string_view kForUpdate = R"sql( FOR UPDATE)sql";

constexpr std::string_view kWhereEmailAndAudience = R"sql(
 WHERE instance_id = $1 AND lower(email) = lower($2) AND aud = $3 AND is_sso_user = false
 ORDER BY created_at LIMIT 1)sql";
constexpr std::string_view kSelectUserByEmailAndAudience =
    sql::Join<kSelectUser, kWhereEmailAndAudience>;
constexpr std::string_view kSelectUserByEmailAndAudienceForUpdate =
    sql::Join<kSelectUser, kWhereEmailAndAudience, kForUpdate>;

constexpr std::string_view kWherePendingEmailChange = R"sql(
 WHERE instance_id = $1 AND aud = $3 AND is_sso_user = false
   AND coalesce(email_change, '') <> ''
   AND (lower(email) = lower($2) OR lower(email_change) = lower($2))
 ORDER BY id)sql";
constexpr std::string_view kSelectUsersWithPendingEmailChange =
    sql::Join<kSelectUser, kWherePendingEmailChange>;
constexpr std::string_view kSelectUsersWithPendingEmailChangeForUpdate =
    sql::Join<kSelectUser, kWherePendingEmailChange, kForUpdate>;

constexpr std::string_view kWhereId = R"sql( WHERE id = $1::uuid)sql";
constexpr std::string_view kSelectUserById = sql::Join<kSelectUser, kWhereId>;
constexpr std::string_view kSelectUserByIdForUpdate = sql::Join<kSelectUser, kWhereId, kForUpdate>;

// $1 instance, $2 aud, $3 filter ("" for all), $4 '%filter%'.
constexpr std::string_view kWhereInAudience = R"sql(
 WHERE instance_id = $1 AND aud = $2
   AND ($3 = '' OR email ILIKE $4 OR raw_user_meta_data->>'full_name' ILIKE $4))sql";
constexpr std::string_view kNewestFirst =
    R"sql( ORDER BY created_at DESC, id LIMIT $5 OFFSET $6)sql";
constexpr std::string_view kOldestFirst =
    R"sql( ORDER BY created_at ASC, id LIMIT $5 OFFSET $6)sql";
constexpr std::string_view kSelectUsersNewestFirst =
    sql::Join<kSelectUser, kWhereInAudience, kNewestFirst>;
constexpr std::string_view kSelectUsersOldestFirst =
    sql::Join<kSelectUser, kWhereInAudience, kOldestFirst>;
constexpr std::string_view kCountUsersPrefix = R"sql(SELECT count(*) AS total FROM users)sql";
constexpr std::string_view kCountUsers = sql::Join<kCountUsersPrefix, kWhereInAudience>;

constexpr std::string_view kInsertUser = R"sql(
INSERT INTO users (instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data,
                   raw_user_meta_data, email_confirmed_at, invited_at, is_anonymous,
                   confirmation_token, recovery_token, email_change_token_new, email_change,
                   email_change_token_current, phone_change, phone_change_token,
                   reauthentication_token, created_at, updated_at)
VALUES ($1, $2::uuid, $3, $4, $5, $6, $7::jsonb, $8::jsonb,
        to_timestamp($9::bigint / 1000000.0), to_timestamp($10::bigint / 1000000.0), $11,
        '', '', '', '', '', '', '', '', now(), now())
)sql";

constexpr std::string_view kUpdateUser = R"sql(
UPDATE users
   SET aud = $2, role = $3, email = $4, encrypted_password = $5,
       email_confirmed_at = to_timestamp($6::bigint / 1000000.0),
       invited_at = to_timestamp($7::bigint / 1000000.0),
       confirmation_token = $8, confirmation_sent_at = to_timestamp($9::bigint / 1000000.0),
       recovery_token = $10, recovery_sent_at = to_timestamp($11::bigint / 1000000.0),
       email_change_token_new = $12, email_change = $13,
       email_change_sent_at = to_timestamp($14::bigint / 1000000.0),
       email_change_token_current = $15, email_change_confirm_status = $16,
       last_sign_in_at = to_timestamp($17::bigint / 1000000.0),
       raw_app_meta_data = $18::jsonb, raw_user_meta_data = $19::jsonb,
       reauthentication_token = $20,
       reauthentication_sent_at = to_timestamp($21::bigint / 1000000.0),
       banned_until = to_timestamp($22::bigint / 1000000.0),
       deleted_at = to_timestamp($23::bigint / 1000000.0),
       is_anonymous = $24, updated_at = now()
 WHERE id = $1::uuid
)sql";

constexpr std::string_view kDeleteUser = R"sql(DELETE FROM users WHERE id = $1::uuid)sql";

// As upstream's cleanup (internal/models/cleanup.go): rows another transaction holds are skipped.
constexpr std::string_view kDeleteStaleAnonymousUsers = R"sql(
DELETE FROM users
 WHERE id IN (SELECT id FROM users
               WHERE is_anonymous
                 AND created_at < now() - $1::bigint * interval '1 second'
               LIMIT $2::bigint
                 FOR UPDATE SKIP LOCKED)
)sql";

// Keys of $2 (a JSON object) replace those of the user metadata; metadata that is not an object
// counts as empty.
constexpr std::string_view kMergeUserMetaData = R"sql(
UPDATE users
   SET raw_user_meta_data = (CASE WHEN jsonb_typeof(raw_user_meta_data) = 'object'
                                  THEN raw_user_meta_data ELSE '{}'::jsonb END) || $2::jsonb,
       updated_at = now()
 WHERE id = $1::uuid
RETURNING raw_user_meta_data::text AS raw_user_meta_data
)sql";

// Statements on one code column, joined from its name (a column cannot be a parameter).
constexpr std::string_view kUpdateUsersSet = R"sql(UPDATE users SET )sql";
constexpr std::string_view kClaimWhere =
    R"sql( = '', updated_at = now() WHERE id = $1::uuid AND )sql";
constexpr std::string_view kClaimEnd = R"sql( = $2 RETURNING id)sql";
constexpr std::string_view kRestoreSentAt = R"sql( = $2, )sql";
constexpr std::string_view kRestoreEnd =
    R"sql( = to_timestamp($3::bigint / 1000000.0) WHERE id = $1::uuid)sql";

// $1 user, $2 the code expected: clears the column, returning a row, if it still holds $2.
template <const std::string_view& Column>
constexpr std::string_view kClaimToken =
    sql::Join<kUpdateUsersSet, Column, kClaimWhere, Column, kClaimEnd>;

// $1 user, $2 code, $3 sent_at (microseconds).
template <const std::string_view& Column, const std::string_view& SentAt>
constexpr std::string_view kRestoreToken =
    sql::Join<kUpdateUsersSet, Column, kRestoreSentAt, SentAt, kRestoreEnd>;

struct TokenColumnStatements {
    OneTimeTokenType type;
    std::string_view claim;
    std::string_view restore;
};

constexpr std::array<TokenColumnStatements, 5> kTokenColumnStatements{{
    {OneTimeTokenType::kConfirmation,
     kClaimToken<columns::kConfirmationToken>,
     kRestoreToken<columns::kConfirmationToken, columns::kConfirmationSentAt>},
    {OneTimeTokenType::kReauthentication,
     kClaimToken<columns::kReauthenticationToken>,
     kRestoreToken<columns::kReauthenticationToken, columns::kReauthenticationSentAt>},
    {OneTimeTokenType::kRecovery,
     kClaimToken<columns::kRecoveryToken>,
     kRestoreToken<columns::kRecoveryToken, columns::kRecoverySentAt>},
    {OneTimeTokenType::kEmailChangeNew,
     kClaimToken<columns::kEmailChangeTokenNew>,
     kRestoreToken<columns::kEmailChangeTokenNew, columns::kEmailChangeSentAt>},
    {OneTimeTokenType::kEmailChangeCurrent,
     kClaimToken<columns::kEmailChangeTokenCurrent>,
     kRestoreToken<columns::kEmailChangeTokenCurrent, columns::kEmailChangeSentAt>},
}};

constexpr std::string_view kRestorePendingEmailChange = R"sql(
UPDATE users SET email_change = $2 WHERE id = $1::uuid
)sql";

constexpr std::string_view kClearUserTokens = R"sql(
UPDATE users
   SET confirmation_token = '', recovery_token = '', email_change_token_new = '',
       email_change_token_current = '', reauthentication_token = '', updated_at = now()
 WHERE id = $1::uuid
)sql";

constexpr std::string_view kUpdateLastSignInAt = R"sql(
UPDATE users SET last_sign_in_at = now() WHERE id = $1::uuid
)sql";

// app_metadata's provider and providers from the user's identities (upstream's
// UpdateAppMetaDataProviders: the distinct providers, the first as `provider`).
constexpr std::string_view kUpdateAppMetaDataProviders = R"sql(
UPDATE users
   SET raw_app_meta_data = (CASE WHEN jsonb_typeof(raw_app_meta_data) = 'object'
                                 THEN raw_app_meta_data ELSE '{}'::jsonb END)
                           || jsonb_build_object('provider', p.providers[1],
                                                 'providers', to_jsonb(p.providers)),
       updated_at = now()
  FROM (SELECT array_agg(DISTINCT provider ORDER BY provider) AS providers
          FROM identities WHERE user_id = $1::uuid) AS p
 WHERE id = $1::uuid
RETURNING raw_app_meta_data::text AS raw_app_meta_data
)sql";

constexpr std::string_view kClearPhone =
    R"sql(UPDATE users SET phone = NULL WHERE id = $1::uuid)sql";

const TokenColumnStatements& StatementsFor(OneTimeTokenType type) {
    for (const auto& statements : kTokenColumnStatements) {
        if (statements.type == type) {
            return statements;
        }
    }
    throw std::invalid_argument("no code column for " + std::string(String(type)));
}

User ReadUser(const pqxx::row& row) {
    User user;
    user.id = row["id"].as<std::string>();
    user.aud = row["aud"].as<std::string>();
    user.role = row["role"].as<std::string>();
    user.email = row["email"].as<std::string>();
    user.encrypted_password = row["encrypted_password"].as<std::string>();
    user.email_confirmed_at = ReadTime(row["email_confirmed_at"]);
    user.invited_at = ReadTime(row["invited_at"]);
    user.confirmation_sent_at = ReadTime(row["confirmation_sent_at"]);
    user.recovery_sent_at = ReadTime(row["recovery_sent_at"]);
    user.email_change_sent_at = ReadTime(row["email_change_sent_at"]);
    user.last_sign_in_at = ReadTime(row["last_sign_in_at"]);
    user.phone_confirmed_at = ReadTime(row["phone_confirmed_at"]);
    user.phone_change_sent_at = ReadTime(row["phone_change_sent_at"]);
    user.confirmed_at = ReadTime(row["confirmed_at"]);
    user.reauthentication_sent_at = ReadTime(row["reauthentication_sent_at"]);
    user.banned_until = ReadTime(row["banned_until"]);
    user.deleted_at = ReadTime(row["deleted_at"]);
    user.created_at = ReadTime(row["created_at"]).value_or(Time{});
    user.updated_at = ReadTime(row["updated_at"]).value_or(Time{});
    user.confirmation_token = row["confirmation_token"].as<std::string>();
    user.recovery_token = row["recovery_token"].as<std::string>();
    user.email_change_token_new = row["email_change_token_new"].as<std::string>();
    user.email_change = row["email_change"].as<std::string>();
    user.email_change_token_current = row["email_change_token_current"].as<std::string>();
    user.email_change_confirm_status = row["email_change_confirm_status"].as<int>();
    user.raw_app_meta_data = row["raw_app_meta_data"].as<std::string>();
    user.raw_user_meta_data = row["raw_user_meta_data"].as<std::string>();
    user.phone = row["phone"].as<std::string>();
    user.phone_change = row["phone_change"].as<std::string>();
    user.reauthentication_token = row["reauthentication_token"].as<std::string>();
    user.is_anonymous = row["is_anonymous"].as<bool>();
    user.is_sso_user = row["is_sso_user"].as<bool>();
    return user;
}

std::optional<User> FirstUser(const pqxx::result& result) {
    if (result.empty()) {
        return std::nullopt;
    }
    return ReadUser(result[0]);
}

std::vector<User> AllUsers(const pqxx::result& result) {
    std::vector<User> users;
    for (const auto& row : result) {
        users.push_back(ReadUser(row));
    }
    return users;
}

std::optional<std::string> NullIfEmpty(const std::string& value) {
    if (value.empty()) {
        return std::nullopt;
    }
    return value;
}

std::string Statement(Lock lock, std::string_view plain, std::string_view locking) {
    return std::string(lock == Lock::kForUpdate ? locking : plain);
}

// Merges `patch` into the user metadata (stored) and the email identity's data.
void MergeEmailFacts(pqxx::transaction_base& tx, User& user, const std::string& patch) {
    user.raw_user_meta_data =
        sql::Exec1(tx, kMergeUserMetaData, user.id, patch)["raw_user_meta_data"].as<std::string>();
    MergeEmailIdentityData(tx, user.id, patch);
}

// email_confirmed_at and email_verified, on the row and in the email identity.
void MarkEmailConfirmed(pqxx::transaction_base& tx, User& user) {
    user.email_confirmed_at = Now();
    SaveUser(tx, user);
    MergeEmailFacts(tx, user, R"({"email_verified":true})");
}

// {"email": email} as JSON text.
std::string EmailPatch(const std::string& email) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("email");
    writer.String(email.c_str(), static_cast<rapidjson::SizeType>(email.size()));
    writer.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

// The identity data upstream gives an email identity it creates for an existing user
// (provider.Claims of subject, email and email_verified; phone_verified is always written).
std::string EmailIdentityData(const User& user, bool verified) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("sub");
    writer.String(user.id.c_str(), static_cast<rapidjson::SizeType>(user.id.size()));
    writer.Key("email");
    writer.String(user.email.c_str(), static_cast<rapidjson::SizeType>(user.email.size()));
    writer.Key("email_verified");
    writer.Bool(verified);
    writer.Key("phone_verified");
    writer.Bool(false);
    writer.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

std::optional<User> FindUserByEmailAndAudience(
    pqxx::transaction_base& tx, std::string_view email, std::string_view aud, Lock lock
) {
    return FirstUser(sql::Exec(
        tx,
        Statement(lock, kSelectUserByEmailAndAudience, kSelectUserByEmailAndAudienceForUpdate),
        std::string(kNilInstanceId),
        std::string(email),
        std::string(aud)
    ));
}

std::vector<User> FindUsersWithPendingEmailChange(
    pqxx::transaction_base& tx, std::string_view email, std::string_view aud, Lock lock
) {
    return AllUsers(sql::Exec(
        tx,
        Statement(
            lock, kSelectUsersWithPendingEmailChange, kSelectUsersWithPendingEmailChangeForUpdate
        ),
        std::string(kNilInstanceId),
        std::string(email),
        std::string(aud)
    ));
}

std::optional<User> FindUserById(pqxx::transaction_base& tx, std::string_view id, Lock lock) {
    return FirstUser(
        sql::Exec(tx, Statement(lock, kSelectUserById, kSelectUserByIdForUpdate), std::string(id))
    );
}

std::vector<User> FindUsersInAudience(pqxx::transaction_base& tx, const UserPage& page) {
    return AllUsers(sql::Exec(
        tx,
        page.oldest_first ? kSelectUsersOldestFirst : kSelectUsersNewestFirst,
        std::string(kNilInstanceId),
        page.aud,
        page.filter,
        "%" + page.filter + "%",
        page.limit,
        page.offset
    ));
}

long long CountUsersInAudience(pqxx::transaction_base& tx, const UserPage& page) {
    return sql::Exec1(
               tx,
               kCountUsers,
               std::string(kNilInstanceId),
               page.aud,
               page.filter,
               "%" + page.filter + "%"
    )["total"]
        .as<long long>();
}

void InsertUser(pqxx::transaction_base& tx, const User& user) {
    sql::Exec0(
        tx,
        kInsertUser,
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
    sql::Exec0(
        tx,
        kUpdateUser,
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
    sql::Exec0(tx, kDeleteUser, std::string(id));
}

long long DeleteStaleAnonymousUsers(
    pqxx::transaction_base& tx, std::chrono::seconds age, long long limit
) {
    return sql::DeleteOlderThan(tx, kDeleteStaleAnonymousUsers, age, limit);
}

bool ClaimUserToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    OneTimeTokenType type,
    std::string_view expected
) {
    const auto rows =
        sql::Exec(tx, StatementsFor(type).claim, std::string(user_id), std::string(expected));
    return rows.size() == 1;
}

void RestoreUserToken(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    OneTimeTokenType type,
    std::string_view token,
    const OptionalTime& sent_at
) {
    sql::Exec0(
        tx,
        StatementsFor(type).restore,
        std::string(user_id),
        std::string(token),
        TimeParam(sent_at)
    );
}

void RestorePendingEmailChange(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view email_change
) {
    sql::Exec0(tx, kRestorePendingEmailChange, std::string(user_id), std::string(email_change));
}

void ClearUserTokens(pqxx::transaction_base& tx, std::string_view user_id) {
    sql::Exec0(tx, kClearUserTokens, std::string(user_id));
}

void Confirm(pqxx::transaction_base& tx, User& user) {
    user.confirmation_token.clear();
    MarkEmailConfirmed(tx, user);
    DeleteOneTimeTokensOfUser(tx, user.id);
}

void Recover(pqxx::transaction_base& tx, User& user) {
    user.recovery_token.clear();
    if (user.IsConfirmed()) {
        SaveUser(tx, user);
    } else {
        MarkEmailConfirmed(tx, user);
    }
    DeleteOneTimeTokensOfUser(tx, user.id);
}

void ConfirmEmailChange(pqxx::transaction_base& tx, User& user) {
    const std::string email = user.email_change;
    user.email_change.clear();
    user.email_change_token_new.clear();
    user.email_change_token_current.clear();
    user.email_change_confirm_status = 0;
    user.is_anonymous = false;  // a confirmed address makes an anonymous user permanent
    SetEmail(tx, user, email);
    MarkEmailConfirmed(tx, user);
    EnsureEmailIdentity(tx, user, true);
    DeleteOneTimeTokensOfUser(tx, user.id);
}

bool EnsureEmailIdentity(pqxx::transaction_base& tx, User& user, bool verified) {
    if (!InsertEmailIdentityIfMissing(tx, user.id, EmailIdentityData(user, verified))) {
        return false;
    }
    user.raw_app_meta_data =
        sql::Exec1(tx, kUpdateAppMetaDataProviders, user.id)["raw_app_meta_data"].as<std::string>();
    return true;
}

void ConfirmEmailChangeHalf(pqxx::transaction_base& tx, User& user, OneTimeTokenType type) {
    user.email_change_confirm_status = 1;
    if (type == OneTimeTokenType::kEmailChangeNew) {
        user.email_change_token_new.clear();
    } else {
        user.email_change_token_current.clear();
    }
    SaveUser(tx, user);
    DeleteOneTimeToken(tx, user.id, type);
}

void SetEmail(pqxx::transaction_base& tx, User& user, const std::string& email) {
    user.email = email;
    SaveUser(tx, user);
    MergeEmailFacts(tx, user, EmailPatch(email));
}

void UpdatePassword(
    pqxx::transaction_base& tx,
    User& user,
    const std::string& password_hash,
    PendingCodes codes,
    std::string_view keep_session
) {
    user.encrypted_password = password_hash;
    if (codes == PendingCodes::kRevoke) {
        user.confirmation_token.clear();
        user.recovery_token.clear();
        user.email_change_token_new.clear();
        user.email_change_token_current.clear();
        user.reauthentication_token.clear();
        user.reauthentication_sent_at.reset();
        DeleteOneTimeTokensOfUser(tx, user.id);
    }
    SaveUser(tx, user);
    DeleteSessionsOfUser(tx, user.id, keep_session);
}

void UpdateLastSignInAt(pqxx::transaction_base& tx, User& user) {
    user.last_sign_in_at = Now();
    sql::Exec0(tx, kUpdateLastSignInAt, user.id);
    UpdateEmailIdentityLastSignInAt(tx, user.id);
}

void SoftDeleteUser(pqxx::transaction_base& tx, User& user) {
    const std::string obfuscated = crypto::Sha256Hex(user.id + user.email).substr(0, 32);
    user.email = obfuscated + "@deleted.invalid";
    user.encrypted_password.clear();
    user.confirmation_token.clear();
    user.recovery_token.clear();
    user.email_change_token_new.clear();
    user.email_change_token_current.clear();
    user.email_change.clear();
    user.reauthentication_token.clear();
    user.raw_user_meta_data = "{}";
    user.deleted_at = Now();
    SaveUser(tx, user);
    sql::Exec0(tx, kClearPhone, user.id);
    user.phone.clear();
    SoftDeleteIdentitiesOfUser(tx, user.id);
    DeleteOneTimeTokensOfUser(tx, user.id);
    DeleteSessionsOfUser(tx, user.id);
}

}  // namespace gotrue::models
