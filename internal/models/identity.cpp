#include "models/identity.hpp"

#include "models/sql.hpp"

namespace gotrue::models {
namespace {

constexpr std::string_view kInsertIdentity = R"sql(
INSERT INTO identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at,
                        created_at, updated_at)
VALUES ($1::uuid, $2, $3::uuid, $4::jsonb, $5, now(), now(), now())
)sql";

// The email identity of a user, unless it has one (provider_id is the user id for email, and
// (provider_id, provider) is unique).
constexpr std::string_view kInsertEmailIdentityIfMissing = R"sql(
INSERT INTO identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at,
                        created_at, updated_at)
SELECT gen_random_uuid(), $1::text, $1::uuid, $2::jsonb, 'email', now(), now(), now()
 WHERE NOT EXISTS (SELECT 1 FROM identities WHERE provider_id = $1::text AND provider = 'email')
RETURNING id
)sql";

constexpr std::string_view kSelectIdentitiesByUser = R"sql(
SELECT id::text AS id, provider_id, user_id::text AS user_id,
       identity_data::text AS identity_data, provider,
       (extract(epoch from last_sign_in_at) * 1000000)::bigint AS last_sign_in_at,
       (extract(epoch from created_at) * 1000000)::bigint AS created_at,
       (extract(epoch from updated_at) * 1000000)::bigint AS updated_at,
       coalesce(email, '') AS email
  FROM identities
 WHERE user_id = $1::uuid
 ORDER BY created_at
)sql";

// Identity data that is not an object counts as empty.
constexpr std::string_view kMergeEmailIdentityData = R"sql(
UPDATE identities
   SET identity_data = (CASE WHEN jsonb_typeof(identity_data) = 'object'
                             THEN identity_data ELSE '{}'::jsonb END) || $2::jsonb,
       updated_at = now()
 WHERE user_id = $1::uuid AND provider = 'email'
)sql";

constexpr std::string_view kUpdateEmailIdentityLastSignInAt = R"sql(
UPDATE identities SET last_sign_in_at = now() WHERE user_id = $1::uuid AND provider = 'email'
)sql";

constexpr std::string_view kSoftDeleteIdentitiesOfUser = R"sql(
UPDATE identities
   SET identity_data = jsonb_build_object('sub', user_id::text),
       provider_id = encode(sha256((provider_id || id::text)::bytea), 'hex')
 WHERE user_id = $1::uuid
)sql";

Identity ReadIdentity(const pqxx::row& row) {
    Identity identity;
    identity.id = row["id"].as<std::string>();
    identity.provider_id = row["provider_id"].as<std::string>();
    identity.user_id = row["user_id"].as<std::string>();
    identity.identity_data = row["identity_data"].as<std::string>();
    identity.provider = row["provider"].as<std::string>();
    identity.last_sign_in_at = ReadTime(row["last_sign_in_at"]);
    identity.created_at = ReadTime(row["created_at"]).value_or(Time{});
    identity.updated_at = ReadTime(row["updated_at"]).value_or(Time{});
    identity.email = row["email"].as<std::string>();
    return identity;
}

}  // namespace

void InsertIdentity(pqxx::transaction_base& tx, const Identity& identity) {
    sql::Exec0(
        tx,
        kInsertIdentity,
        identity.id,
        identity.provider_id,
        identity.user_id,
        identity.identity_data,
        identity.provider
    );
}

bool InsertEmailIdentityIfMissing(
    pqxx::transaction_base& tx, std::string_view user_id, const std::string& identity_data
) {
    return !sql::Exec(tx, kInsertEmailIdentityIfMissing, std::string(user_id), identity_data)
                .empty();
}

std::vector<Identity> FindIdentitiesByUser(pqxx::transaction_base& tx, std::string_view user_id) {
    std::vector<Identity> identities;
    for (const auto& row : sql::Exec(tx, kSelectIdentitiesByUser, std::string(user_id))) {
        identities.push_back(ReadIdentity(row));
    }
    return identities;
}

void MergeEmailIdentityData(
    pqxx::transaction_base& tx, std::string_view user_id, const std::string& patch
) {
    sql::Exec0(tx, kMergeEmailIdentityData, std::string(user_id), patch);
}

void UpdateEmailIdentityLastSignInAt(pqxx::transaction_base& tx, std::string_view user_id) {
    sql::Exec0(tx, kUpdateEmailIdentityLastSignInAt, std::string(user_id));
}

void SoftDeleteIdentitiesOfUser(pqxx::transaction_base& tx, std::string_view user_id) {
    sql::Exec0(tx, kSoftDeleteIdentitiesOfUser, std::string(user_id));
}

}  // namespace gotrue::models
