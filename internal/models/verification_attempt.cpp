#include "models/verification_attempt.hpp"

#include <string>

#include "models/sql.hpp"

namespace gotrue::models {
namespace {

// $1 user, $2 the window length in seconds. A window is open while
// window_started_at + $2 seconds > now(); seconds_left is the whole seconds until then, rounded up.
constexpr std::string_view kSelectOpenWindow = R"sql(
SELECT a.failures,
       ceil(extract(epoch FROM a.window_started_at + $2::bigint * interval '1 second' - now()))::bigint
           AS seconds_left
  FROM verification_attempts a
 WHERE a.user_id = $1::uuid AND a.window_started_at + $2::bigint * interval '1 second' > now()
)sql";

constexpr std::string_view kRecordFailure = R"sql(
INSERT INTO verification_attempts AS a (user_id, failures, window_started_at)
VALUES ($1::uuid, 1, now())
ON CONFLICT (user_id) DO UPDATE
   SET failures = CASE WHEN a.window_started_at + $2::bigint * interval '1 second' > now()
                       THEN a.failures + 1 ELSE 1 END,
       window_started_at = CASE WHEN a.window_started_at + $2::bigint * interval '1 second' > now()
                                THEN a.window_started_at ELSE now() END
RETURNING a.failures,
          ceil(extract(epoch FROM a.window_started_at + $2::bigint * interval '1 second' - now()))::bigint
              AS seconds_left
)sql";

constexpr std::string_view kResetAttempts = R"sql(
DELETE FROM verification_attempts WHERE user_id = $1::uuid
)sql";

VerificationWindow ReadWindow(const pqxx::row& row) {
    return {row["failures"].as<int>(), std::chrono::seconds(row["seconds_left"].as<long long>())};
}

}  // namespace

std::optional<VerificationWindow> FindOpenVerificationWindow(
    pqxx::transaction_base& tx, std::string_view user_id, std::chrono::seconds length
) {
    const auto rows = sql::Exec(
        tx, kSelectOpenWindow, std::string(user_id), static_cast<long long>(length.count())
    );
    if (rows.empty()) {
        return std::nullopt;
    }
    return ReadWindow(rows[0]);
}

VerificationWindow RecordVerificationFailure(
    pqxx::transaction_base& tx, std::string_view user_id, std::chrono::seconds length
) {
    return ReadWindow(
        sql::Exec1(tx, kRecordFailure, std::string(user_id), static_cast<long long>(length.count()))
    );
}

void ResetVerificationAttempts(pqxx::transaction_base& tx, std::string_view user_id) {
    sql::Exec0(tx, kResetAttempts, std::string(user_id));
}

}  // namespace gotrue::models
