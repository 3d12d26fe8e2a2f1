#include "models/challenge.hpp"

#include "models/sql.hpp"

namespace gotrue::models {
namespace {

// clock_timestamp(): last_challenged_at is UNIQUE across all factors (upstream's schema), so two
// transactions that started in the same microsecond must not both write their start time.
constexpr std::string_view kInsertChallenge = R"sql(
WITH challenge AS (
    INSERT INTO mfa_challenges (id, factor_id, created_at, ip_address)
    VALUES (gen_random_uuid(), $1::uuid, now(), coalesce(NULLIF($2, '')::inet, '0.0.0.0'::inet))
    RETURNING id, created_at
), stamped AS (
    UPDATE mfa_factors SET last_challenged_at = clock_timestamp() WHERE id = $1::uuid
)
SELECT id::text AS id, (extract(epoch from created_at) * 1000000)::bigint AS created_at
  FROM challenge
)sql";

constexpr std::string_view kSelectChallenge = R"sql(
SELECT id::text AS id, factor_id::text AS factor_id,
       (extract(epoch from created_at) * 1000000)::bigint AS created_at,
       (extract(epoch from verified_at) * 1000000)::bigint AS verified_at,
       ip_address = coalesce(NULLIF($3, '')::inet, '0.0.0.0'::inet) AS same_address
  FROM mfa_challenges
 WHERE factor_id = $1::uuid AND id = $2::uuid
)sql";

constexpr std::string_view kClaimChallenge = R"sql(
UPDATE mfa_challenges SET verified_at = now() WHERE id = $1::uuid AND verified_at IS NULL
)sql";

constexpr std::string_view kDeleteChallenge =
    R"sql(DELETE FROM mfa_challenges WHERE id = $1::uuid)sql";

}  // namespace

Challenge CreateChallenge(
    pqxx::transaction_base& tx, std::string_view factor_id, const std::string& ip
) {
    const auto row = sql::Exec1(tx, kInsertChallenge, std::string(factor_id), ip);
    Challenge challenge;
    challenge.id = row["id"].as<std::string>();
    challenge.factor_id = std::string(factor_id);
    challenge.created_at = ReadTime(row["created_at"]).value_or(Time{});
    challenge.same_address = true;
    return challenge;
}

std::optional<Challenge> FindChallenge(
    pqxx::transaction_base& tx,
    std::string_view factor_id,
    std::string_view challenge_id,
    const std::string& ip
) {
    const auto rows =
        sql::Exec(tx, kSelectChallenge, std::string(factor_id), std::string(challenge_id), ip);
    if (rows.empty()) {
        return std::nullopt;
    }
    const auto& row = rows[0];
    Challenge challenge;
    challenge.id = row["id"].as<std::string>();
    challenge.factor_id = row["factor_id"].as<std::string>();
    challenge.created_at = ReadTime(row["created_at"]).value_or(Time{});
    challenge.verified_at = ReadTime(row["verified_at"]);
    challenge.same_address = row["same_address"].as<bool>();
    return challenge;
}

bool ClaimChallenge(pqxx::transaction_base& tx, std::string_view challenge_id) {
    return sql::Exec(tx, kClaimChallenge, std::string(challenge_id)).affected_rows() > 0;
}

void DeleteChallenge(pqxx::transaction_base& tx, std::string_view challenge_id) {
    sql::Exec0(tx, kDeleteChallenge, std::string(challenge_id));
}

}  // namespace gotrue::models
