#include "models/flow_state.hpp"

#include "crypto/crypto.hpp"
#include "models/sql.hpp"

namespace gotrue::models {
namespace {

// The columns as read back, after SELECT or RETURNING.
constexpr std::string_view kFlowStateFields = R"sql(
id::text AS id, user_id::text AS user_id, coalesce(auth_code, '') AS auth_code,
authentication_method, coalesce(code_challenge, '') AS code_challenge,
coalesce(code_challenge_method::text, '') AS code_challenge_method, provider_type,
(extract(epoch from auth_code_issued_at) * 1000000)::bigint AS auth_code_issued_at,
(extract(epoch from created_at) * 1000000)::bigint AS created_at
)sql";

// Times are written from this process's clock (TimeParam), as the *_sent_at columns are, so
// IsExpired compares times of one clock. Token columns upstream leaves empty are '' as there.
constexpr std::string_view kInsertFlowStateHead = R"sql(
INSERT INTO flow_state (id, user_id, auth_code, code_challenge_method, code_challenge,
                        provider_type, provider_access_token, provider_refresh_token, created_at,
                        updated_at, authentication_method)
VALUES (gen_random_uuid(), $1::uuid, gen_random_uuid()::text, $2::code_challenge_method, $3, $4,
        '', '', to_timestamp($5::bigint / 1000000.0), to_timestamp($5::bigint / 1000000.0), $6)
RETURNING
)sql";

constexpr std::string_view kSelect = "SELECT ";
constexpr std::string_view kFromFlowState = " FROM flow_state ";
constexpr std::string_view kByAuthCode = R"sql(WHERE auth_code = $1 LIMIT 1)sql";
constexpr std::string_view kByAuthCodeForUpdate =
    R"sql(WHERE auth_code = $1 LIMIT 1 FOR UPDATE)sql";
constexpr std::string_view kLatestOfUser = R"sql(
 WHERE user_id = $1::uuid AND authentication_method = $2
 ORDER BY created_at DESC NULLS LAST
 LIMIT 1
)sql";

constexpr std::string_view kInsertFlowState = sql::Join<kInsertFlowStateHead, kFlowStateFields>;
constexpr std::string_view kSelectByAuthCode =
    sql::Join<kSelect, kFlowStateFields, kFromFlowState, kByAuthCode>;
constexpr std::string_view kSelectByAuthCodeForUpdate =
    sql::Join<kSelect, kFlowStateFields, kFromFlowState, kByAuthCodeForUpdate>;
constexpr std::string_view kSelectLatestOfUser =
    sql::Join<kSelect, kFlowStateFields, kFromFlowState, kLatestOfUser>;

constexpr std::string_view kRecordAuthCodeIssuedAt = R"sql(
UPDATE flow_state
   SET auth_code_issued_at = to_timestamp($2::bigint / 1000000.0),
       updated_at = to_timestamp($2::bigint / 1000000.0)
 WHERE id = $1::uuid
)sql";

constexpr std::string_view kDeleteFlowState = R"sql(DELETE FROM flow_state WHERE id = $1::uuid)sql";

// Rows another transaction holds (an exchange in progress) are skipped, never waited for.
constexpr std::string_view kDeleteStaleFlowStates = R"sql(
DELETE FROM flow_state
 WHERE id IN (SELECT id FROM flow_state
               WHERE created_at < now() - $1::bigint * interval '1 second'
                 AND (auth_code_issued_at IS NULL
                      OR auth_code_issued_at < now() - $1::bigint * interval '1 second')
               LIMIT $2::bigint
                 FOR UPDATE SKIP LOCKED)
)sql";

FlowState ReadFlowState(const pqxx::row& row) {
    FlowState flow;
    flow.id = row["id"].as<std::string>();
    if (!row["user_id"].is_null()) {
        flow.user_id = row["user_id"].as<std::string>();
    }
    flow.auth_code = row["auth_code"].as<std::string>();
    flow.authentication_method = row["authentication_method"].as<std::string>();
    flow.code_challenge = row["code_challenge"].as<std::string>();
    flow.code_challenge_method = row["code_challenge_method"].as<std::string>();
    flow.provider_type = row["provider_type"].as<std::string>();
    flow.auth_code_issued_at = ReadTime(row["auth_code_issued_at"]);
    flow.created_at = ReadTime(row["created_at"]).value_or(Time{});
    return flow;
}

std::optional<FlowState> FirstFlowState(const pqxx::result& rows) {
    if (rows.empty()) {
        return std::nullopt;
    }
    return ReadFlowState(rows[0]);
}

}  // namespace

std::string WithFlowPrefix(std::string token, FlowType flow) {
    if (flow == FlowType::kPkce) {
        return std::string(kPkcePrefix) + token;
    }
    return token;
}

FlowState CreatePkceFlowState(pqxx::transaction_base& tx, const NewPkceFlow& flow) {
    return ReadFlowState(sql::Exec1(
        tx,
        kInsertFlowState,
        flow.user_id,
        std::string(String(flow.challenge_method)),
        flow.code_challenge,
        flow.provider_type,
        TimeParam(Now()),
        std::string(String(flow.method))
    ));
}

std::optional<FlowState> FindFlowStateByAuthCode(
    pqxx::transaction_base& tx, std::string_view auth_code, Lock lock
) {
    return FirstFlowState(sql::Exec(
        tx,
        lock == Lock::kForUpdate ? kSelectByAuthCodeForUpdate : kSelectByAuthCode,
        std::string(auth_code)
    ));
}

std::optional<FlowState> FindLatestFlowStateOfUser(
    pqxx::transaction_base& tx, std::string_view user_id, AuthenticationMethod method
) {
    return FirstFlowState(
        sql::Exec(tx, kSelectLatestOfUser, std::string(user_id), std::string(String(method)))
    );
}

void RecordAuthCodeIssuedAt(pqxx::transaction_base& tx, FlowState& flow) {
    const Time now = Now();
    sql::Exec0(tx, kRecordAuthCodeIssuedAt, flow.id, TimeParam(now));
    flow.auth_code_issued_at = now;
}

bool DeleteFlowState(pqxx::transaction_base& tx, std::string_view id) {
    return sql::Exec0(tx, kDeleteFlowState, std::string(id)).affected_rows() > 0;
}

bool IsExpired(const FlowState& flow, std::chrono::milliseconds expiry, Time now) {
    const auto lifetime = std::chrono::duration_cast<std::chrono::microseconds>(expiry);
    if (flow.auth_code_issued_at &&
        flow.authentication_method == String(AuthenticationMethod::kMagicLink)) {
        return now > *flow.auth_code_issued_at + lifetime;
    }
    return now > flow.created_at + lifetime;
}

long long DeleteStaleFlowStates(
    pqxx::transaction_base& tx, std::chrono::seconds age, long long limit
) {
    return sql::DeleteOlderThan(tx, kDeleteStaleFlowStates, age, limit);
}

std::string S256Challenge(std::string_view verifier) {
    return crypto::Base64UrlEncode(crypto::Sha256(verifier));
}

PkceCheck VerifyPkceChallenge(
    std::string_view challenge, std::string_view method, std::string_view verifier
) {
    const auto parsed = ParseCodeChallengeMethod(method);
    if (!parsed) {
        return PkceCheck::kUnsupportedMethod;
    }
    const std::string expected =
        *parsed == CodeChallengeMethod::kS256 ? S256Challenge(verifier) : std::string(verifier);
    return crypto::ConstantTimeEquals(challenge, expected) ? PkceCheck::kMatch
                                                           : PkceCheck::kMismatch;
}

}  // namespace gotrue::models
