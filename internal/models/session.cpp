#include "models/session.hpp"

#include "models/sql.hpp"

namespace gotrue::models {
namespace {

constexpr std::string_view kInsertSession = R"sql(
INSERT INTO sessions (id, user_id, aal, created_at, updated_at, refreshed_at, user_agent, ip)
VALUES (gen_random_uuid(), $1::uuid, 'aal1', now(), now(), now() AT TIME ZONE 'utc', $2, $3::inet)
RETURNING id::text AS id, (extract(epoch from created_at) * 1000000)::bigint AS created_at
)sql";

constexpr std::string_view kSelectSession = R"sql(
SELECT id::text AS id, user_id::text AS user_id, coalesce(aal::text, 'aal1') AS aal,
       (extract(epoch from not_after) * 1000000)::bigint AS not_after,
       (extract(epoch from created_at) * 1000000)::bigint AS created_at,
       (extract(epoch from updated_at) * 1000000)::bigint AS updated_at
  FROM sessions
 WHERE id = $1::uuid
)sql";

constexpr std::string_view kUpdateSessionRefreshInfo = R"sql(
UPDATE sessions
   SET refreshed_at = now() AT TIME ZONE 'utc', updated_at = now(), user_agent = $2, ip = $3::inet
 WHERE id = $1::uuid
)sql";

constexpr std::string_view kDeleteSession = R"sql(DELETE FROM sessions WHERE id = $1::uuid)sql";

// $2 "" (NULL after NULLIF) keeps none.
constexpr std::string_view kDeleteSessionsOfUser = R"sql(
DELETE FROM sessions WHERE user_id = $1::uuid AND id IS DISTINCT FROM NULLIF($2, '')::uuid
)sql";

constexpr std::string_view kSetSessionAal = R"sql(
UPDATE sessions SET aal = $2::aal_level, factor_id = NULLIF($3, '')::uuid, updated_at = now()
 WHERE id = $1::uuid
)sql";

constexpr std::string_view kDeleteSessionsBelowAal = R"sql(
DELETE FROM sessions WHERE user_id = $1::uuid AND aal < $2::aal_level
)sql";

constexpr std::string_view kDowngradeSessionsOfFactor = R"sql(
WITH claims AS (
    DELETE FROM mfa_amr_claims
     WHERE authentication_method = $3
       AND session_id IN (SELECT id FROM sessions WHERE factor_id = $2::uuid)
)
UPDATE sessions SET aal = 'aal1', factor_id = NULL WHERE user_id = $1::uuid AND factor_id = $2::uuid
)sql";

std::optional<std::string> NullIfEmpty(const std::string& value) {
    return value.empty() ? std::nullopt : std::optional<std::string>(value);
}

}  // namespace

Session CreateSession(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    const std::string& user_agent,
    const std::string& ip
) {
    const auto row =
        sql::Exec1(tx, kInsertSession, std::string(user_id), user_agent, NullIfEmpty(ip));
    Session session;
    session.id = row["id"].as<std::string>();
    session.user_id = std::string(user_id);
    session.created_at = ReadTime(row["created_at"]).value_or(Time{});
    session.updated_at = session.created_at;
    return session;
}

std::optional<Session> FindSession(pqxx::transaction_base& tx, std::string_view id) {
    const auto rows = sql::Exec(tx, kSelectSession, std::string(id));
    if (rows.empty()) {
        return std::nullopt;
    }
    const auto& row = rows[0];
    Session session;
    session.id = row["id"].as<std::string>();
    session.user_id = row["user_id"].as<std::string>();
    session.aal = row["aal"].as<std::string>();
    session.not_after = ReadTime(row["not_after"]);
    session.created_at = ReadTime(row["created_at"]).value_or(Time{});
    session.updated_at = ReadTime(row["updated_at"]).value_or(Time{});
    return session;
}

void UpdateSessionRefreshInfo(
    pqxx::transaction_base& tx,
    std::string_view id,
    const std::string& user_agent,
    const std::string& ip
) {
    sql::Exec0(tx, kUpdateSessionRefreshInfo, std::string(id), user_agent, NullIfEmpty(ip));
}

void DeleteSession(pqxx::transaction_base& tx, std::string_view id) {
    sql::Exec0(tx, kDeleteSession, std::string(id));
}

void DeleteSessionsOfUser(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view keep
) {
    sql::Exec0(tx, kDeleteSessionsOfUser, std::string(user_id), std::string(keep));
}

void SetSessionAal(
    pqxx::transaction_base& tx,
    std::string_view id,
    std::string_view aal,
    std::string_view factor_id
) {
    sql::Exec0(tx, kSetSessionAal, std::string(id), std::string(aal), std::string(factor_id));
}

void DeleteSessionsBelowAal(
    pqxx::transaction_base& tx, std::string_view user_id, std::string_view aal
) {
    sql::Exec0(tx, kDeleteSessionsBelowAal, std::string(user_id), std::string(aal));
}

void DowngradeSessionsOfFactor(
    pqxx::transaction_base& tx,
    std::string_view user_id,
    std::string_view factor_id,
    std::string_view method
) {
    sql::Exec0(
        tx,
        kDowngradeSessionsOfFactor,
        std::string(user_id),
        std::string(factor_id),
        std::string(method)
    );
}

}  // namespace gotrue::models
