#include "api/services/code_attempts.hpp"

#include <string>

#include "logs/logs.hpp"
#include "models/one_time_token.hpp"
#include "models/user.hpp"
#include "models/verification_attempt.hpp"

namespace gotrue::api {
namespace {

constexpr logs::Logger kLog{"api"};

// 429 rather than 403 otp_expired: the code may well be right, and telling the user it expired
// would send them to request new codes that are refused too until the window ends.
HttpError LockoutError(std::chrono::seconds left, CodeMail mail) {
    const std::string seconds = std::to_string(left.count());
    const std::string advice = mail == CodeMail::kWithLink
                                   ? "please use the link in the email or request a new code"
                                   : "please request a new code";
    return TooManyRequests(
               kOverRequestRateLimit,
               "Too many failed verification attempts, " + advice + " after " + seconds + " seconds"
    )
        .WithHeader("Retry-After", seconds);
}

// The codes may have been narrowed down by the failed guesses: none of them works any more.
void BurnCodes(pqxx::transaction_base& tx, std::string_view user_id) {
    models::DeleteOneTimeTokensHoldingCodes(tx, user_id);  // before the columns it compares with
    models::ClearUserTokens(tx, user_id);
    kLog.Warn(
        "one-time codes cleared after " + std::to_string(kMaxCodeFailures) + " failed attempts",
        {{"user_id", user_id}}
    );
}

}  // namespace

std::optional<HttpError> CodeLockout(
    pqxx::transaction_base& tx, std::string_view user_id, CodeMail mail
) {
    const auto window = models::FindOpenVerificationWindow(tx, user_id, kCodeFailureWindow);
    if (!window || window->failures < kMaxCodeFailures) {
        return std::nullopt;
    }
    return LockoutError(window->left, mail);
}

HttpError RecordWrongCode(
    pqxx::transaction_base& tx, std::string_view user_id, HttpError wrong, CodeMail mail
) {
    const auto window = models::RecordVerificationFailure(tx, user_id, kCodeFailureWindow);
    if (window.failures < kMaxCodeFailures) {
        return wrong;
    }
    BurnCodes(tx, user_id);
    return LockoutError(window.left, mail);
}

void RecordVerificationSuccess(pqxx::transaction_base& tx, std::string_view user_id) {
    models::ResetVerificationAttempts(tx, user_id);
}

}  // namespace gotrue::api
