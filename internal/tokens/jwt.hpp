#pragma once

// JSON Web Tokens, hand-written on OpenSSL + RapidJSON. No JWT library on purpose: Debian's
// libjwt 1.10 does not check `exp` itself and adds a dependency for little gain. This header has
// the verification result types and the HS256 pair SignHs256 / VerifyHs256 (tests and tools sign
// with the secret); the server signs and verifies through tokens::KeySet (keys.hpp), which adds
// RS256 and ES256 keys. Every other `alg` (including "none") is rejected. Error details follow
// golang-jwt v5's wording, which GoTrue puts into
// "invalid JWT: unable to parse or verify signature, <detail>" (GoTrue's internal/api/auth.go).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <rapidjson/document.h>

namespace gotrue::tokens {

// Bearer tokens are a few hundred bytes; anything this large is rejected before any decoding.
inline constexpr std::size_t kMaxTokenBytes = 16 * 1024;

inline constexpr std::string_view kBadJwtMessagePrefix =
    "invalid JWT: unable to parse or verify signature, ";

// Serialises claims_object (must be a JSON object) into an HS256 JWT. The header is
// {"alg":"HS256","kid":<key_id>,"typ":"JWT"} with "kid" only when key_id is non-empty; claims
// keep their member order. Throws std::invalid_argument if claims_object is not an object, holds
// NaN/Inf, or secret is empty (an empty HMAC key would make tokens forgeable).
[[nodiscard]] std::string SignHs256(
    const rapidjson::Value& claims_object, std::string_view secret, std::string_view key_id = {}
);

// Set fields by name (`VerifyOptions options; options.require_exp = false;`): g++ 12 warns
// (-Wmissing-field-initializers) about designated initializers that leave a member out.
struct VerifyOptions {
    // golang-jwt does not require exp by default (nor does GoTrue); we do, since every token
    // this server issues has one and a token without exp would be valid forever.
    bool require_exp = true;
    // GoTrue's keyfunc: a token whose header carries a string "kid" is accepted only if it
    // equals the configured GOTRUE_JWT_KEY_ID (empty when unset). Tokens without "kid" (or with
    // a non-string one) are checked against the secret.
    std::string key_id;
};

// golang-jwt v5's sentinel error classes; the detail string starts with the matching text.
enum class VerifyErrorKind {
    kMalformed,         // "token is malformed"
    kUnverifiable,      // "token is unverifiable"
    kSignatureInvalid,  // "token signature is invalid"
    kInvalidClaims,     // "token has invalid claims"
};

struct VerifyError {
    VerifyErrorKind kind;
    // e.g. "token has invalid claims: token is expired", "token signature is invalid: signature
    // is invalid", "token signature is invalid: signing method none is invalid".
    std::string detail;

    // GoTrue's 403 bad_jwt message.
    [[nodiscard]] std::string Message() const;
};

struct VerifiedToken {
    rapidjson::Document header;  // a JSON object
    rapidjson::Document claims;  // a JSON object; top-level keys are unique
};

// Either the verified token or why it was rejected.
class VerifyResult {
public:
    explicit VerifyResult(VerifiedToken token) : value_(std::move(token)) {}

    explicit VerifyResult(VerifyError error) : value_(std::move(error)) {}

    [[nodiscard]] bool Ok() const noexcept { return value_.index() == 0; }

    explicit operator bool() const noexcept { return Ok(); }

    // Precondition Ok(); throws std::logic_error otherwise.
    [[nodiscard]] const VerifiedToken& Token() const;
    [[nodiscard]] VerifiedToken& Token();

    [[nodiscard]] const rapidjson::Document& Claims() const { return Token().claims; }

    // Precondition !Ok(); throws std::logic_error otherwise.
    [[nodiscard]] const VerifyError& Error() const;

private:
    std::variant<VerifiedToken, VerifyError> value_;
};

// Verifies an HS256 token against secret at time now_unix (seconds). Never throws on bad input
// (std::bad_alloc aside). Checks, in golang-jwt's order: size, 3 segments, base64url header and
// claims, JSON objects (valid UTF-8 also after \u escapes, finite numbers, no duplicate
// top-level keys so there is one reading of "alg"/"exp"/"sub"), alg == HS256, signature
// (constant-time), then exp (now < exp) and nbf (nbf <= now). iat is not checked, as in golang-jwt
// v5.
[[nodiscard]] VerifyResult VerifyHs256(
    std::string_view token,
    std::string_view secret,
    std::int64_t now_unix,
    const VerifyOptions& options = {}
);

}  // namespace gotrue::tokens
