#pragma once

// auth.verification_attempts (this server's addition, migrations/20261201000100_*): how many wrong
// one-time codes a user was sent in the current window. Windows are fixed: the first failure
// after a window ended opens a new one. Times come from the database clock, shared by every
// server instance. Callers hold the user's row lock (FOR UPDATE), so concurrent requests for one
// user count one after the other.

#include <chrono>
#include <optional>
#include <string_view>

#include <pqxx/pqxx>

namespace gotrue::models {

struct VerificationWindow {
    int failures = 0;
    std::chrono::seconds left{0};  // until the window ends (at least 1 while it is open)
};

// The user's window of `length`, if one is still open.
[[nodiscard]] std::optional<VerificationWindow> FindOpenVerificationWindow(
    pqxx::transaction_base& tx, std::string_view user_id, std::chrono::seconds length
);

// Counts one wrong code, in the open window or in a new one; the window after it.
VerificationWindow RecordVerificationFailure(
    pqxx::transaction_base& tx, std::string_view user_id, std::chrono::seconds length
);

// Forgets the user's failures (after a successful verification).
void ResetVerificationAttempts(pqxx::transaction_base& tx, std::string_view user_id);

}  // namespace gotrue::models
