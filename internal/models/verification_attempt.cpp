#include "models/verification_attempt.hpp"

#include <string>

namespace gotrue::models {
namespace {

// SQL for the end of the window of row `alias`, with the window length in seconds as $2.
std::string WindowEnd(const std::string& alias) {
    return alias + ".window_started_at + $2::bigint * interval '1 second'";
}

// Whole seconds from now() to the end of the window, rounded up.
std::string SecondsLeft(const std::string& alias) {
    return "ceil(extract(epoch FROM " + WindowEnd(alias) + " - now()))::bigint";
}

VerificationWindow ReadWindow(const pqxx::row& row) {
    return {row[0].as<int>(), std::chrono::seconds(row[1].as<long long>())};
}

}  // namespace

std::optional<VerificationWindow> FindOpenVerificationWindow(
    pqxx::transaction_base& tx, std::string_view user_id, std::chrono::seconds length
) {
    const auto rows = tx.exec_params(
        "SELECT a.failures, " + SecondsLeft("a") +
            " FROM verification_attempts a WHERE a.user_id = $1::uuid AND " + WindowEnd("a") +
            " > now()",
        std::string(user_id),
        static_cast<long long>(length.count())
    );
    if (rows.empty()) {
        return std::nullopt;
    }
    return ReadWindow(rows[0]);
}

VerificationWindow RecordVerificationFailure(
    pqxx::transaction_base& tx, std::string_view user_id, std::chrono::seconds length
) {
    const std::string open = WindowEnd("a") + " > now()";
    const auto row = tx.exec_params1(
        "INSERT INTO verification_attempts AS a (user_id, failures, window_started_at) "
        "VALUES ($1::uuid, 1, now()) ON CONFLICT (user_id) DO UPDATE SET "
        "failures = CASE WHEN " +
            open + " THEN a.failures + 1 ELSE 1 END, window_started_at = CASE WHEN " + open +
            " THEN a.window_started_at ELSE now() END RETURNING a.failures, " + SecondsLeft("a"),
        std::string(user_id),
        static_cast<long long>(length.count())
    );
    return ReadWindow(row);
}

void ResetVerificationAttempts(pqxx::transaction_base& tx, std::string_view user_id) {
    tx.exec_params0(
        "DELETE FROM verification_attempts WHERE user_id = $1::uuid", std::string(user_id)
    );
}

}  // namespace gotrue::models
