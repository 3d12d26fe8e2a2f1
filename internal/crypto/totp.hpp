#pragma once

// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, HMAC-SHA1), as GoTrue's TOTP
// factors use them through pquerna/otp: 6 digits, 30-second steps, one step of skew either way.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gotrue::crypto {

inline constexpr int kTotpPeriodSeconds = 30;
inline constexpr int kTotpDigits = 6;
inline constexpr std::size_t kTotpSecretBytes = 20;  // pquerna/otp's default secret size

// RFC 4648 base32 (upper-case alphabet) without '=' padding, as authenticator apps read secrets.
[[nodiscard]] std::string Base32Encode(std::string_view bytes);

// Inverse of Base32Encode; accepts lower case and trailing '=' padding; nullopt for any other
// character or an impossible length.
[[nodiscard]] std::optional<std::string> Base32Decode(std::string_view text);

// HOTP (RFC 4226 §5.3): dynamic truncation of HMAC-SHA1(key, counter), `digits` zero-padded
// decimal digits (1..9).
[[nodiscard]] std::string HotpCode(std::string_view key, std::uint64_t counter, int digits);

// The time step of a unix time (RFC 6238 T = floor(t / 30)).
[[nodiscard]] std::uint64_t TotpStep(std::int64_t unix_seconds);

// The step in [step(now) - 1, step(now) + 1] whose 6-digit code is `code`, compared in constant
// time against all three; nullopt when none matches. The caller refuses steps it accepted before
// (RFC 6238 §5.2), which is why the matching step is returned.
[[nodiscard]] std::optional<std::uint64_t> MatchTotp(
    std::string_view code, std::string_view key, std::int64_t unix_seconds
);

}  // namespace gotrue::crypto
