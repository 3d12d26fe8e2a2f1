#pragma once

// The failed-attempt bound on one-time codes (this server's addition: upstream GoTrue has none
// and leaves guessing to an optional per-client rate limit). Every wrong code for an existing
// user, on POST /verify with email + token or as the reauthentication nonce of PUT /user, counts
// one failure for that user. The 5th failure within an hour clears the user's codes (the
// users.*_token columns) and, until that hour is over, every code for the user is refused with
// 429 without being compared. Email links stay valid: their tokens are random
// (crypto::GenerateLinkToken), not derived from the code. A successful verification forgets the
// failures. At 5 guesses an hour a 6-digit code takes 10^6 / 5 hours (about 23 years) on average
// to find.
//
// Callers hold the user's row lock (FOR UPDATE), so parallel guesses count one after the other,
// and commit even when they refuse, so the failure stays recorded: they return the refusal from
// the transaction and throw it after the commit.

#include <chrono>
#include <optional>
#include <string_view>

#include <pqxx/pqxx>

#include "api/http_types.hpp"

namespace gotrue::api {

inline constexpr int kMaxCodeFailures = 5;
inline constexpr std::chrono::seconds kCodeFailureWindow = std::chrono::hours(1);

// Whether the mail that carried the code also carried a link, which still works after a lockout.
enum class CodeMail { kWithLink, kCodeOnly };

// The 429 over_request_rate_limit (with Retry-After) to answer while the user is locked out;
// std::nullopt when a code may be compared.
[[nodiscard]] std::optional<HttpError> CodeLockout(
    pqxx::transaction_base& tx, std::string_view user_id, CodeMail mail
);

// Counts a wrong code and returns the answer: `wrong` below the bound; at the bound the user's
// codes are cleared and the answer is the lockout's 429.
[[nodiscard]] HttpError RecordWrongCode(
    pqxx::transaction_base& tx, std::string_view user_id, HttpError wrong, CodeMail mail
);

// A verification of the user succeeded (code, nonce or link): the failures are forgotten.
void RecordVerificationSuccess(pqxx::transaction_base& tx, std::string_view user_id);

}  // namespace gotrue::api
