#include "models/vocabulary.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>
#include <string>
#include <utility>

#include "models/user.hpp"

namespace gotrue::models {
namespace {

constexpr std::array<OneTimeTokenTypeInfo, 5> kTokenTypes{{
    {OneTimeTokenType::kConfirmation,
     columns::kConfirmationToken,
     columns::kConfirmationSentAt,
     &User::confirmation_token,
     &User::confirmation_sent_at},
    {OneTimeTokenType::kReauthentication,
     columns::kReauthenticationToken,
     columns::kReauthenticationSentAt,
     &User::reauthentication_token,
     &User::reauthentication_sent_at},
    {OneTimeTokenType::kRecovery,
     columns::kRecoveryToken,
     columns::kRecoverySentAt,
     &User::recovery_token,
     &User::recovery_sent_at},
    {OneTimeTokenType::kEmailChangeNew,
     columns::kEmailChangeTokenNew,
     columns::kEmailChangeSentAt,
     &User::email_change_token_new,
     &User::email_change_sent_at},
    {OneTimeTokenType::kEmailChangeCurrent,
     columns::kEmailChangeTokenCurrent,
     columns::kEmailChangeSentAt,
     &User::email_change_token_current,
     &User::email_change_sent_at},
}};

constexpr std::array kConfirmationOnly{OneTimeTokenType::kConfirmation};
constexpr std::array kRecoveryOnly{OneTimeTokenType::kRecovery};
constexpr std::array kEmailChangeTokens{
    OneTimeTokenType::kEmailChangeNew, OneTimeTokenType::kEmailChangeCurrent};
constexpr std::array kConfirmationOrRecovery{
    OneTimeTokenType::kConfirmation, OneTimeTokenType::kRecovery};

// Magic links share the recovery token (upstream's magicLinkVerify); type "email" redeems
// whichever of the two the code was sent as.
constexpr std::array<VerificationTypeInfo, 8> kVerificationTypes{{
    {VerificationType::kSignup, "signup", true, kConfirmationOnly},
    {VerificationType::kInvite, "invite", true, kConfirmationOnly},
    {VerificationType::kRecovery, "recovery", true, kRecoveryOnly},
    {VerificationType::kMagicLink, "magiclink", true, kRecoveryOnly},
    {VerificationType::kEmailChange, "email_change", true, kEmailChangeTokens},
    {VerificationType::kEmail, "email", true, kConfirmationOrRecovery},
    {VerificationType::kSms, "sms", false, {}},
    {VerificationType::kPhoneChange, "phone_change", false, {}},
}};

constexpr std::array<std::pair<AuthenticationMethod, std::string_view>, 10> kMethods{{
    {AuthenticationMethod::kPassword, "password"},
    {AuthenticationMethod::kOtp, "otp"},
    {AuthenticationMethod::kRecovery, "recovery"},
    {AuthenticationMethod::kInvite, "invite"},
    {AuthenticationMethod::kMagicLink, "magiclink"},
    {AuthenticationMethod::kEmailSignup, "email/signup"},
    {AuthenticationMethod::kEmailChange, "email_change"},
    {AuthenticationMethod::kTokenRefresh, "token_refresh"},
    {AuthenticationMethod::kAnonymous, "anonymous"},
    {AuthenticationMethod::kTotp, "totp"},
}};

constexpr std::array<std::pair<CodeChallengeMethod, std::string_view>, 2> kChallengeMethods{{
    {CodeChallengeMethod::kS256, "s256"},
    {CodeChallengeMethod::kPlain, "plain"},
}};

// The entry of `table` for `value` (each table lists every enumerator once).
template <typename Table, typename Value>
const auto& EntryFor(const Table& table, Value value, auto key) {
    const auto it = std::find_if(table.begin(), table.end(), [&](const auto& entry) {
        return key(entry) == value;
    });
    if (it == table.end()) {
        throw std::logic_error("vocabulary: value missing from its table");
    }
    return *it;
}

// The value of `table` named `text`; `entry_of` gives an entry's (value, name).
template <typename Table, typename EntryOf>
auto ParseIn(const Table& table, std::string_view text, EntryOf entry_of)
    -> std::optional<decltype(entry_of(table[0]).first)> {
    for (const auto& entry : table) {
        const auto [value, name] = entry_of(entry);
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

}  // namespace

const OneTimeTokenTypeInfo& InfoOf(OneTimeTokenType type) {
    return EntryFor(kTokenTypes, type, [](const auto& entry) { return entry.type; });
}

std::string_view String(OneTimeTokenType type) {
    return InfoOf(type).name;
}

std::optional<OneTimeTokenType> ParseOneTimeTokenType(std::string_view text) {
    return ParseIn(kTokenTypes, text, [](const auto& entry) {
        return std::pair(entry.type, entry.name);
    });
}

const VerificationTypeInfo& InfoOf(VerificationType type) {
    return EntryFor(kVerificationTypes, type, [](const auto& entry) { return entry.type; });
}

std::string_view String(VerificationType type) {
    return InfoOf(type).name;
}

std::optional<VerificationType> ParseVerificationType(std::string_view text) {
    return ParseIn(kVerificationTypes, text, [](const auto& entry) {
        return std::pair(entry.type, entry.name);
    });
}

std::string_view String(AuthenticationMethod method) {
    return EntryFor(kMethods, method, [](const auto& entry) { return entry.first; }).second;
}

std::optional<AuthenticationMethod> ParseAuthenticationMethod(std::string_view text) {
    if (text.ends_with("signup")) {
        text = "email/signup";
    }
    return ParseIn(kMethods, text, [](const auto& entry) { return entry; });
}

bool IsRecovery(AuthenticationMethod method) {
    return method == AuthenticationMethod::kOtp || method == AuthenticationMethod::kMagicLink ||
           method == AuthenticationMethod::kRecovery;
}

std::string_view String(CodeChallengeMethod method) {
    return EntryFor(
               kChallengeMethods, method, [](const auto& entry) { return entry.first; }
    ).second;
}

std::optional<CodeChallengeMethod> ParseCodeChallengeMethod(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return ParseIn(kChallengeMethods, lower, [](const auto& entry) { return entry; });
}

}  // namespace gotrue::models
