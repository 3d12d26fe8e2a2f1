#pragma once

// Randomness, digests, HMAC and base64url for tokens (GoTrue's internal/crypto). All functions
// are thread-safe: OpenSSL 3's RAND_bytes and one-shot digests keep no shared mutable state here.
// Byte strings are carried in std::string (raw bytes, may contain NUL).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gotrue::crypto {

// Base32 lower-case alphabet GoTrue's SecureAlphanumeric ends up with (base32 + ToLower).
inline constexpr std::string_view kBase32LowerAlphabet = "abcdefghijklmnopqrstuvwxyz234567";
inline constexpr std::string_view kAlphanumericAlphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
inline constexpr std::string_view kDigitAlphabet = "0123456789";

inline constexpr std::size_t kRefreshTokenLength = 12;

// Lengths of the throwaway passwords GoTrue gives passwordless users (docs/database.md).
inline constexpr std::size_t kMagicLinkPasswordLength = 33;
inline constexpr std::size_t kOtpPasswordLength = 64;

// n bytes from OpenSSL's CSPRNG. Throws std::runtime_error if RAND_bytes fails.
[[nodiscard]] std::string RandomBytes(std::size_t n);

// n characters drawn uniformly from alphabet (rejection sampling, no modulo bias). Throws
// std::invalid_argument if the alphabet is empty or longer than 256 characters.
[[nodiscard]] std::string RandomString(std::size_t n, std::string_view alphabet);

// Uniform integer in [0, 10^length), zero-padded to length digits (GoTrue's GenerateOtp). Throws
// std::invalid_argument for length 0.
[[nodiscard]] std::string GenerateOtp(std::size_t length);

// 12 characters of [a-z2-7], GoTrue's refresh token format (versions 0 and 1).
[[nodiscard]] std::string GenerateRefreshToken();

// Lower-case hex SHA-224 of address + otp (56 characters), the stored email/SMS token hash.
[[nodiscard]] std::string GenerateTokenHash(std::string_view address, std::string_view otp);

// The token of an email link ({{ .TokenHash }}, the link's token=): lower-case hex SHA-224 of 32
// CSPRNG bytes, so it has the shape of GenerateTokenHash's output (56 characters) and fits every
// column and template that carries one, but it cannot be derived from the address and the code.
[[nodiscard]] std::string GenerateLinkToken();

// Alphanumeric random password for magic-link / OTP / admin-created users; never shown to anyone.
[[nodiscard]] std::string RandomPassword(std::size_t length);

[[nodiscard]] std::string Sha256(std::string_view data);     // 32 raw bytes
[[nodiscard]] std::string Sha256Hex(std::string_view data);  // 64 lower-case hex characters
[[nodiscard]] std::string Sha224Hex(std::string_view data);  // 56 lower-case hex characters

// HMAC-SHA256, 32 raw bytes. An empty key is allowed here; callers decide whether it is sane.
[[nodiscard]] std::string HmacSha256(std::string_view key, std::string_view data);

[[nodiscard]] std::string HexEncode(std::string_view bytes);  // lower-case

// Standard base64 (RFC 4648 §4, padded), as Go's base64.StdEncoding: Standard Webhooks secrets
// and signatures, GoTrue's encrypted columns.
[[nodiscard]] std::string Base64Encode(std::string_view bytes);

// Strict inverse of Base64Encode: a multiple of 4 long, '=' only as the last one or two
// characters, nothing outside [A-Za-z0-9+/].
[[nodiscard]] std::optional<std::string> Base64Decode(std::string_view text);

// RFC 4648 §5 alphabet (-_), no '=' padding.
[[nodiscard]] std::string Base64UrlEncode(std::string_view bytes);

// Strict inverse of Base64UrlEncode: rejects padding, whitespace, characters outside [A-Za-z0-9-_],
// a length of 4k+1 and non-zero unused trailing bits (so each byte string has one encoding).
[[nodiscard]] std::optional<std::string> Base64UrlDecode(std::string_view text);

// Offset of the first character Base64UrlDecode rejects (like Go's CorruptInputError: a bad
// character's index, or the last index for a bad length/trailing bits); nullopt if valid.
[[nodiscard]] std::optional<std::size_t> Base64UrlErrorOffset(std::string_view text);

// Constant-time comparison (CRYPTO_memcmp) for secrets. Different lengths return false right
// away: only the length leaks, never how many leading bytes match (same as Go's
// subtle.ConstantTimeCompare).
[[nodiscard]] bool ConstantTimeEquals(std::string_view a, std::string_view b) noexcept;

}  // namespace gotrue::crypto
