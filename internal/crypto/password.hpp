#pragma once

// bcrypt password hashing through libxcrypt (docs/database.md). Hashes are written as "$2a$" like
// Go's x/crypto/bcrypt, so rows written by GoTrue and by this server are interchangeable.
// Thread-safe: every call uses its own heap-allocated crypt_data (32 KiB, too big for small
// thread stacks).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gotrue::crypto {

inline constexpr int kDefaultBcryptCost = 10;  // Go's bcrypt.DefaultCost
inline constexpr int kMinBcryptCost = 4;       // Go's bcrypt.MinCost, used by tests
inline constexpr int kMaxBcryptCost = 31;

// bcrypt only looks at the first 72 bytes; GoTrue rejects longer passwords instead.
inline constexpr std::size_t kMaxPasswordBytes = 72;

// "$2a$<cost>$<salt+hash>". Throws std::invalid_argument for a cost outside [4, 31], a password
// longer than 72 bytes (check PasswordTooLong first) or one containing a NUL byte (crypt(3)
// would silently cut it there, making "a\0xyz" and "a" the same password). Throws
// std::runtime_error if libxcrypt fails (e.g. no OS randomness).
[[nodiscard]] std::string HashPassword(std::string_view password, int cost = kDefaultBcryptCost);

// True iff hash is a well-formed $2a$/$2b$/$2y$ bcrypt hash of password. Never throws: empty,
// garbage or non-bcrypt stored values, crypt failures and passwords with a NUL byte give false.
// A password over 72 bytes is false without hashing: bcrypt reads only the first 72, so it would
// otherwise accept any suffix after a stored 72-byte password (no such password can be stored).
[[nodiscard]] bool VerifyPassword(std::string_view password, std::string_view hash) noexcept;

// Cost of a well-formed bcrypt hash ($2a$/$2b$/$2y$), nullopt otherwise. Sign-in uses it to
// decide whether to re-hash at the configured cost.
[[nodiscard]] std::optional<int> BcryptCost(std::string_view hash) noexcept;

[[nodiscard]] bool IsBcryptHash(std::string_view hash) noexcept;

// More than 72 bytes (not characters: "€" counts 3).
[[nodiscard]] bool PasswordTooLong(std::string_view password) noexcept;

}  // namespace gotrue::crypto
