#include "models/factor.hpp"

#include "models/sql.hpp"

namespace gotrue::models {
namespace {

constexpr std::string_view kFactorFields = R"sql(
id::text AS id, user_id::text AS user_id, coalesce(friendly_name, '') AS friendly_name,
factor_type::text AS factor_type, status::text AS status, coalesce(secret, '') AS secret,
coalesce(phone, '') AS phone,
(extract(epoch from created_at) * 1000000)::bigint AS created_at,
(extract(epoch from updated_at) * 1000000)::bigint AS updated_at,
(extract(epoch from last_challenged_at) * 1000000)::bigint AS last_challenged_at,
last_totp_step
)sql";

constexpr std::string_view kSelect = "SELECT ";
constexpr std::string_view kFromFactorsOfUser = R"sql(
  FROM mfa_factors
 WHERE user_id = $1::uuid
 ORDER BY created_at, id
)sql";
constexpr std::string_view kFromUserFactor = R"sql(
  FROM mfa_factors
 WHERE user_id = $1::uuid AND id = $2::uuid
)sql";
constexpr std::string_view kForUpdate = " FOR UPDATE";

constexpr std::string_view kSelectFactorsOfUser =
    sql::Join<kSelect, kFactorFields, kFromFactorsOfUser>;
constexpr std::string_view kSelectUserFactor = sql::Join<kSelect, kFactorFields, kFromUserFactor>;
constexpr std::string_view kSelectUserFactorForUpdate =
    sql::Join<kSelect, kFactorFields, kFromUserFactor, kForUpdate>;

constexpr std::string_view kNewFactorId = R"sql(SELECT gen_random_uuid()::text)sql";

constexpr std::string_view kInsertFactor = R"sql(
INSERT INTO mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at,
                         secret)
VALUES ($1::uuid, $2::uuid, $3, $4::factor_type, 'unverified', now(), now(), $5)
RETURNING (extract(epoch from created_at) * 1000000)::bigint AS created_at
)sql";

// As upstream: unverified factors without any challenge, past their expiry, of every user.
constexpr std::string_view kDeleteExpiredFactors = R"sql(
DELETE FROM mfa_factors f
 WHERE f.status <> 'verified'
   AND NOT EXISTS (SELECT 1 FROM mfa_challenges c WHERE c.factor_id = f.id)
   AND f.created_at + make_interval(secs => $1::bigint) < now()
)sql";

constexpr std::string_view kDeleteUnverifiedFactors = R"sql(
DELETE FROM mfa_factors
 WHERE user_id = $1::uuid AND status = 'unverified' AND factor_type = $2::factor_type
)sql";

constexpr std::string_view kRecordTotpVerification = R"sql(
UPDATE mfa_factors
   SET status = 'verified', last_totp_step = $2::bigint, secret = coalesce($3, secret),
       updated_at = now()
 WHERE id = $1::uuid
)sql";

constexpr std::string_view kUpdateFactorSecret = R"sql(
UPDATE mfa_factors SET secret = $2 WHERE id = $1::uuid
)sql";

constexpr std::string_view kUpdateFactorFriendlyName = R"sql(
UPDATE mfa_factors SET friendly_name = $2, updated_at = now() WHERE id = $1::uuid
)sql";

constexpr std::string_view kDeleteFactor = R"sql(DELETE FROM mfa_factors WHERE id = $1::uuid)sql";

Factor ReadFactor(const pqxx::row& row) {
    Factor factor;
    factor.id = row["id"].as<std::string>();
    factor.user_id = row["user_id"].as<std::string>();
    factor.friendly_name = row["friendly_name"].as<std::string>();
    factor.factor_type = row["factor_type"].as<std::string>();
    factor.status = row["status"].as<std::string>();
    factor.secret = row["secret"].as<std::string>();
    factor.phone = row["phone"].as<std::string>();
    factor.created_at = ReadTime(row["created_at"]).value_or(Time{});
    factor.updated_at = ReadTime(row["updated_at"]).value_or(Time{});
    factor.last_challenged_at = ReadTime(row["last_challenged_at"]);
    if (!row["last_totp_step"].is_null()) {
        factor.last_totp_step = row["last_totp_step"].as<std::int64_t>();
    }
    return factor;
}

}  // namespace

std::string NewFactorId(pqxx::transaction_base& tx) {
    return sql::Exec1(tx, kNewFactorId)[0].as<std::string>();
}

void CreateFactor(pqxx::transaction_base& tx, Factor& factor) {
    const auto row = sql::Exec1(
        tx,
        kInsertFactor,
        factor.id,
        factor.user_id,
        factor.friendly_name,
        factor.factor_type,
        factor.secret
    );
    factor.status = std::string(kFactorUnverified);
    factor.created_at = ReadTime(row["created_at"]).value_or(Time{});
    factor.updated_at = factor.created_at;
}

std::vector<Factor> FindFactorsByUser(pqxx::transaction_base& tx, std::string_view user_id) {
    std::vector<Factor> factors;
    for (const auto& row : sql::Exec(tx, kSelectFactorsOfUser, std::string(user_id))) {
        factors.push_back(ReadFactor(row));
    }
    return factors;
}

std::optional<Factor> FindUserFactor(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view factor_id, Lock lock
) {
    const auto rows = sql::Exec(
        tx,
        lock == Lock::kForUpdate ? kSelectUserFactorForUpdate : kSelectUserFactor,
        std::string(user_id),
        std::string(factor_id)
    );
    if (rows.empty()) {
        return std::nullopt;
    }
    return ReadFactor(rows[0]);
}

void DeleteExpiredFactors(pqxx::transaction_base& tx, std::chrono::seconds expiry) {
    sql::Exec0(tx, kDeleteExpiredFactors, static_cast<long long>(expiry.count()));
}

void DeleteUnverifiedFactors(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view factor_type
) {
    sql::Exec0(tx, kDeleteUnverifiedFactors, std::string(user_id), std::string(factor_type));
}

void RecordTotpVerification(
    pqxx::transaction_base& tx,
    std::string_view factor_id,
    std::int64_t step,
    const std::optional<std::string>& secret
) {
    sql::Exec0(tx, kRecordTotpVerification, std::string(factor_id), step, secret);
}

void UpdateFactorSecret(
    pqxx::transaction_base& tx, std::string_view factor_id, const std::string& secret
) {
    sql::Exec0(tx, kUpdateFactorSecret, std::string(factor_id), secret);
}

void UpdateFactorFriendlyName(
    pqxx::transaction_base& tx, std::string_view factor_id, const std::string& friendly_name
) {
    sql::Exec0(tx, kUpdateFactorFriendlyName, std::string(factor_id), friendly_name);
}

bool DeleteFactor(pqxx::transaction_base& tx, std::string_view factor_id) {
    return sql::Exec(tx, kDeleteFactor, std::string(factor_id)).affected_rows() > 0;
}

}  // namespace gotrue::models
