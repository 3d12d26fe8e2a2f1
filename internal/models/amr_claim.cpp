#include "models/amr_claim.hpp"

#include <string>

#include "models/sql.hpp"

namespace gotrue::models {
namespace {

constexpr std::string_view kAddClaimToSession = R"sql(
INSERT INTO mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
VALUES (gen_random_uuid(), $1::uuid, now(), now(), $2)
ON CONFLICT (session_id, authentication_method) DO UPDATE SET updated_at = now()
)sql";

constexpr std::string_view kSelectAmrClaims = R"sql(
SELECT authentication_method,
       (extract(epoch from updated_at) * 1000000)::bigint AS updated_at
  FROM mfa_amr_claims
 WHERE session_id = $1::uuid
 ORDER BY updated_at DESC
)sql";

}  // namespace

void AddClaimToSession(
    pqxx::transaction_base& tx, std::string_view session_id, AuthenticationMethod method
) {
    sql::Exec0(tx, kAddClaimToSession, std::string(session_id), std::string(String(method)));
}

std::vector<AmrClaim> FindAmrClaims(pqxx::transaction_base& tx, std::string_view session_id) {
    std::vector<AmrClaim> claims;
    for (const auto& row : sql::Exec(tx, kSelectAmrClaims, std::string(session_id))) {
        claims.push_back(AmrClaim{
            row["authentication_method"].as<std::string>(),
            ReadTime(row["updated_at"]).value_or(Time{}),
        });
    }
    return claims;
}

}  // namespace gotrue::models
