#pragma once

// The keys that sign and verify access tokens, as GoTrue configures them (supabase/auth
// internal/conf/jwk.go, internal/api/auth.go):
//   - GOTRUE_JWT_KEYS: a JSON array of JWKs (RFC 7517). RSA keys sign RS256, EC P-256 keys ES256,
//     oct keys HS256. Exactly one key has "sign" in its key_ops; it signs every token, with its
//     kid in the header. The others only verify, so a retired key stays listed (even as its
//     public part only) until the tokens it signed have expired.
//   - without it: GOTRUE_JWT_SECRET signs HS256, with GOTRUE_JWT_KEY_ID as kid when set.
// Verification follows GoTrue's keyfunc: a string kid names the key (a configured key, or
// GOTRUE_JWT_KEY_ID for the secret), any other kid is refused; without a kid, HS256 tokens are
// checked with GOTRUE_JWT_SECRET. The token's alg must be one of the valid methods
// (GOTRUE_JWT_VALID_METHODS, else the algorithms of the configured keys) and fit its key.
// Keys are OpenSSL EVP_PKEYs built from the JWK members (EVP_PKEY_fromdata) and checked at load.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "tokens/jwt.hpp"

namespace gotrue::tokens {

// Algorithms KeySet signs and verifies with.
inline constexpr std::string_view kSupportedAlgorithms = "HS256, RS256, ES256";

// True for HS256, RS256 and ES256.
[[nodiscard]] bool IsSupportedAlgorithm(std::string_view name);

// A key set that cannot be loaded; what() is one line, e.g.
// `keys[0] (kid "a"): crv "P-384" is not supported (P-256)`.
class KeyError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

struct KeySetOptions {
    std::string keys;    // GOTRUE_JWT_KEYS; empty (or []) means none
    std::string secret;  // GOTRUE_JWT_SECRET
    std::string key_id;  // GOTRUE_JWT_KEY_ID
    // GOTRUE_JWT_VALID_METHODS; empty: the algorithms of the keys (HS256 without keys). Each
    // must be supported (IsSupportedAlgorithm).
    std::vector<std::string> valid_methods;
    bool operator==(const KeySetOptions&) const = default;
};

namespace detail {
struct KeySetState;
}  // namespace detail

// Immutable after Load and cheap to copy (shared state); safe to use from many threads.
class KeySet {
public:
    // No keys: Sign throws std::logic_error, Verify refuses every token.
    KeySet();

    // Parses and checks every key. Throws KeyError.
    [[nodiscard]] static KeySet Load(const KeySetOptions& options);

    // A JWT of claims_object signed by the signing key: header {"alg":...,"kid":...,"typ":"JWT"}
    // (kid only when the key has one). Throws std::invalid_argument for claims that are not an
    // object or hold NaN/Inf.
    [[nodiscard]] std::string Sign(const rapidjson::Value& claims_object) const;

    // Checks as VerifyHs256 does (jwt.hpp), choosing the key as described above.
    // options.key_id is not used: the set has its own.
    [[nodiscard]] VerifyResult Verify(
        std::string_view token, std::int64_t now_unix, const VerifyOptions& options = {}
    ) const;

    // {"keys":[...]}: the public part of each RSA and EC key (alg, crv/e/n/x/y, key_ops
    // ["verify"], kid, kty, use "sig"), never an oct key or the secret (internal/api/jwks.go).
    [[nodiscard]] std::string PublicJwks() const;

    // "HS256", "RS256" or "ES256" ("" for an empty set).
    [[nodiscard]] std::string_view SigningAlgorithm() const;

    // Two sets are equal when loaded from equal options.
    [[nodiscard]] bool operator==(const KeySet& other) const;

private:
    std::shared_ptr<const detail::KeySetState> state_;
};

}  // namespace gotrue::tokens
