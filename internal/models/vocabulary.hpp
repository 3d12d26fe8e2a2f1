#pragma once

// The core vocabulary of the auth flows as enums, each with one mapping table (vocabulary.cpp):
// one-time-token types (supabase/auth internal/models/one_time_token.go), verification types
// (the `type` of /verify, internal/api/verify.go) and authentication methods (the amr claim,
// internal/models/factor.go) and PKCE code challenge methods (internal/models/flow_state.go).

#include <optional>
#include <span>
#include <string_view>

#include "models/time.hpp"

namespace gotrue::models {

struct User;

// The users columns of the codes and their send times (the one_time_token_type names).
namespace columns {
inline constexpr std::string_view kConfirmationToken = "confirmation_token";
inline constexpr std::string_view kConfirmationSentAt = "confirmation_sent_at";
inline constexpr std::string_view kReauthenticationToken = "reauthentication_token";
inline constexpr std::string_view kReauthenticationSentAt = "reauthentication_sent_at";
inline constexpr std::string_view kRecoveryToken = "recovery_token";
inline constexpr std::string_view kRecoverySentAt = "recovery_sent_at";
inline constexpr std::string_view kEmailChangeTokenNew = "email_change_token_new";
inline constexpr std::string_view kEmailChangeTokenCurrent = "email_change_token_current";
inline constexpr std::string_view kEmailChangeSentAt = "email_change_sent_at";
}  // namespace columns

// auth.one_time_token_type; each type is also the name of the users column holding its code.
// (phone_change_token is left out: phone changes are not supported.)
enum class OneTimeTokenType {
    kConfirmation,
    kReauthentication,
    kRecovery,
    kEmailChangeNew,
    kEmailChangeCurrent,
};

struct OneTimeTokenTypeInfo {
    OneTimeTokenType type;
    std::string_view name;            // "confirmation_token": the enum value and the users column
    std::string_view sent_at_column;  // "confirmation_sent_at"
    std::string User::*token;         // the column on the user row
    OptionalTime User::*sent_at;      // when a code of this type was last sent
};

[[nodiscard]] const OneTimeTokenTypeInfo& InfoOf(OneTimeTokenType type);
[[nodiscard]] std::string_view String(OneTimeTokenType type);
[[nodiscard]] std::optional<OneTimeTokenType> ParseOneTimeTokenType(std::string_view text);

// The `type` of a verification (/verify, /resend, links).
enum class VerificationType {
    kSignup,
    kInvite,
    kRecovery,
    kMagicLink,
    kEmailChange,
    kEmail,
    kSms,
    kPhoneChange,
};

struct VerificationTypeInfo {
    VerificationType type;
    std::string_view name;
    bool email;  // verified by an email link or code (sms and phone_change are not)
    std::span<const OneTimeTokenType> token_types;  // the tokens it may redeem
};

[[nodiscard]] const VerificationTypeInfo& InfoOf(VerificationType type);
[[nodiscard]] std::string_view String(VerificationType type);
[[nodiscard]] std::optional<VerificationType> ParseVerificationType(std::string_view text);

// How a session was signed in to: the methods of the amr claim (mfa_amr_claims).
enum class AuthenticationMethod {
    kPassword,
    kOtp,
    kRecovery,
    kInvite,
    kMagicLink,
    kEmailSignup,
    kEmailChange,
    kTokenRefresh,
    kAnonymous,
    kTotp,  // "totp": a verified TOTP factor (mfa_amr_claims; raises the session to aal2)
};

[[nodiscard]] std::string_view String(AuthenticationMethod method);
// Any method ending in "signup" is email/signup, as upstream reads it.
[[nodiscard]] std::optional<AuthenticationMethod> ParseAuthenticationMethod(std::string_view text);
// Signed in by something sent to the user's address (otp, magic link, recovery): such a session
// may set a new password without the current one.
[[nodiscard]] bool IsRecovery(AuthenticationMethod method);

// auth.code_challenge_method: how a PKCE code_challenge was derived from its verifier (RFC 7636).
enum class CodeChallengeMethod { kS256, kPlain };

[[nodiscard]] std::string_view String(CodeChallengeMethod method);  // "s256", "plain"
// Case-insensitive, as upstream reads it ("S256" is s256).
[[nodiscard]] std::optional<CodeChallengeMethod> ParseCodeChallengeMethod(std::string_view text);

}  // namespace gotrue::models
