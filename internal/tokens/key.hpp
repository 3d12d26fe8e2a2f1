#pragma once

// Internal to tokens/: one signing or verification key, how it is read from a JWK (jwk.cpp) and
// how it signs and verifies bytes (signature.cpp). Callers outside tokens/ use KeySet (keys.hpp).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>
#include <rapidjson/document.h>

#include "tokens/jwt.hpp"

namespace gotrue::tokens::detail {

// The algorithms this server signs and verifies with; a key has exactly one.
enum class Algorithm { kHs256, kRs256, kEs256 };

[[nodiscard]] std::string_view AlgorithmName(Algorithm algorithm);

// nullopt for names other than HS256, RS256 and ES256.
[[nodiscard]] std::optional<Algorithm> AlgorithmFromName(std::string_view name);

struct Key {
    std::string kid;  // may be empty only for the GOTRUE_JWT_SECRET key
    Algorithm algorithm = Algorithm::kHs256;
    bool signs = false;              // key_ops has "sign"
    std::string secret;              // HS256: the HMAC key (raw bytes)
    std::shared_ptr<EVP_PKEY> pkey;  // RS256 / ES256; immutable once built, shared by threads
    bool has_private = false;        // RS256 / ES256: the JWK carried d
    std::string public_jwk;          // RS256 / ES256: the JSON /.well-known/jwks.json lists
};

// Reads one JWK of GOTRUE_JWT_KEYS. Throws KeyError (keys.hpp) with the reason, e.g.
// `crv "P-384" is not supported (P-256)`.
[[nodiscard]] Key ParseJwk(const rapidjson::Value& jwk);

// The raw signature of `input` (for ES256 the JOSE form r||s, 64 bytes). Throws
// std::runtime_error when OpenSSL fails, std::logic_error for a key without a private part.
[[nodiscard]] std::string SignBytes(const Key& key, std::string_view input);

// Whether `signature` is `key`'s signature of `input` under the token's `algorithm`: nullopt if
// so, else golang-jwt v5's error text ("crypto/rsa: verification error", "key is of invalid
// type: ..."), which the caller puts after "token signature is invalid: ".
[[nodiscard]] std::optional<std::string> VerifyBytes(
    Algorithm algorithm, const Key& key, std::string_view input, std::string_view signature
);

// golang-jwt's keyfunc: the key for a token's header and alg, or why there is none (the text
// after "error while executing keyfunc: ").
struct KeyChoice {
    const Key* key = nullptr;
    std::string error;
};

using KeyFunc = std::function<KeyChoice(const rapidjson::Value& header, std::string_view alg)>;

// golang-jwt v5's Parser.ParseWithClaims with WithValidMethods(valid_methods): size, segments,
// header and claims, alg in valid_methods, signature decoding, key_for, signature, exp and nbf.
[[nodiscard]] VerifyResult VerifyToken(
    std::string_view token,
    std::int64_t now_unix,
    const VerifyOptions& options,
    const std::vector<Algorithm>& valid_methods,
    const KeyFunc& key_for
);

// The JWT of claims_object signed with `key`: header {"alg":...,"kid":...,"typ":"JWT"}, kid only
// when the key has one. Throws std::invalid_argument for claims that are not an object or hold
// NaN/Inf.
[[nodiscard]] std::string SignToken(const rapidjson::Value& claims_object, const Key& key);

}  // namespace gotrue::tokens::detail
