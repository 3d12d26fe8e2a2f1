// Fuzzes tokens::KeySet (internal/tokens/keys.hpp): key choice by kid and alg across RS256,
// ES256 and HS256 keys for bearer tokens, and the parsing of GOTRUE_JWT_KEYS.
//
// The key set is the test fixtures' (tests/fixtures/jwt_keys): ec-a signs, rsa-a verifies, and
// an oct key "hs" (the secret) verifies. Input:
//   - starting with '[': a GOTRUE_JWT_KEYS value. Loading it throws nothing but KeyError; a set
//     that loads publishes JSON without private members ("d", "p", "q", "k", ...).
//   - containing a newline, "HEADER_JSON\nCLAIMS_JSON": signed with the oct key (HMAC over the
//     encoded halves) and verified, so the alg/kid checks behind the signature are reached; the
//     claims are also signed by the set (ES256), and the set never refuses that token for its
//     key, alg or signature (a claim such as a non-numeric exp may still make it refuse).
//   - otherwise, and always as a whole: a token.
// Checked besides "no crash, leak, UB or exception": an accepted token's alg fits the key its kid
// names (ES256 for ec-a, RS256 for rsa-a, HS256 for "hs" or no kid); no token is accepted by a set
// of other keys (rsa-b signing alone); a refusal's message has GoTrue's bad_jwt prefix.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "crypto/crypto.hpp"
#include "json/parser.hpp"
#include "tokens/keys.hpp"

namespace {

namespace crypto = gotrue::crypto;
namespace tokens = gotrue::tokens;

constexpr std::string_view kSecret = "super-secret-jwt-token-with-at-least-32-characters";
constexpr std::int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z

[[noreturn]] void Fail(const std::string& what, std::string_view input) {
    static_cast<void>(std::fprintf(
        stderr,
        "jwt_keys_fuzz: %s\ninput: %.*s\n",
        what.c_str(),
        static_cast<int>(std::min<std::size_t>(input.size(), 2000)),
        input.data()
    ));
    std::abort();
}

std::string Fixture(const std::string& name) {
    std::ifstream file(std::string(GOTRUE_JWT_KEYS_DIR) + "/" + name + ".jwk.json");
    std::stringstream text;
    text << file.rdbuf();
    if (text.str().empty()) {
        Fail("missing fixture " + name, "");
    }
    return text.str();
}

// A fixture key with key_ops replaced (the fixtures say sign and verify).
std::string WithOps(const std::string& name, const char* ops) {
    std::string key = Fixture(name);
    const auto at = key.find("\"key_ops\"");
    const auto end = key.find(']', at);
    if (at == std::string::npos || end == std::string::npos) {
        Fail("fixture without key_ops: " + name, key);
    }
    return key.substr(0, at) + "\"key_ops\":" + ops + key.substr(end + 1);
}

std::string OctKey() {
    return R"({"kty":"oct","kid":"hs","alg":"HS256","key_ops":["verify"],"k":")" +
           crypto::Base64UrlEncode(kSecret) + "\"}";
}

const tokens::KeySet& Mixed() {
    static const tokens::KeySet keys = tokens::KeySet::Load({
        .keys = "[" + WithOps("ec-a", R"(["sign","verify"])") + "," +
                WithOps("rsa-a", R"(["verify"])") + "," + OctKey() + "]",
        .secret = std::string(kSecret),
    });
    return keys;
}

const tokens::KeySet& Other() {
    static const tokens::KeySet keys = tokens::KeySet::Load({
        .keys = "[" + WithOps("rsa-b", R"(["sign","verify"])") + "]",
        .secret = "another-secret-of-at-least-32-characters",
    });
    return keys;
}

std::string_view StringMember(const rapidjson::Value& object, const char* name) {
    const auto it = object.FindMember(name);
    if (it == object.MemberEnd() || !it->value.IsString()) {
        return {};
    }
    return {it->value.GetString(), it->value.GetStringLength()};
}

// Verifies `token` under both sets and checks the properties above; true when Mixed accepted it.
bool Verify(std::string_view token, std::string_view input) {
    tokens::VerifyOptions options;
    options.require_exp = false;
    const auto result = Mixed().Verify(token, kNow, options);
    if (!result.Ok()) {
        if (!result.Error().Message().starts_with(tokens::kBadJwtMessagePrefix)) {
            Fail("refusal without the bad_jwt prefix: " + result.Error().Message(), input);
        }
        return false;
    }
    const auto& header = result.Token().header;
    const std::string_view alg = StringMember(header, "alg");
    const std::string_view kid = StringMember(header, "kid");
    const bool fits = (kid == "ec-a" && alg == "ES256") || (kid == "rsa-a" && alg == "RS256") ||
                      ((kid == "hs" || kid.empty()) && alg == "HS256");
    if (!fits) {
        Fail("accepted alg " + std::string(alg) + " for kid " + std::string(kid), input);
    }
    if (Other().Verify(token, kNow, options).Ok()) {
        Fail("accepted by a set of other keys", input);
    }
    return true;
}

void LoadKeys(std::string_view input) {
    tokens::KeySet keys;
    try {
        keys = tokens::KeySet::Load({.keys = std::string(input), .secret = std::string(kSecret)});
    } catch (const tokens::KeyError&) {
        return;
    }
    const std::string published = keys.PublicJwks();
    auto parsed = gotrue::json::Parse(published);
    if (!parsed.Ok() || !parsed.document.IsObject() || !parsed.document.HasMember("keys")) {
        Fail("published JWKS is not {\"keys\":[...]}: " + published, input);
    }
    for (const auto& key : parsed.document["keys"].GetArray()) {
        for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
            if (key.HasMember(secret)) {
                Fail(std::string("published a private member ") + secret, input);
            }
        }
    }
}

void SignHalves(std::string_view header, std::string_view claims, std::string_view input) {
    std::string token = crypto::Base64UrlEncode(header) + "." + crypto::Base64UrlEncode(claims);
    token += "." + crypto::Base64UrlEncode(crypto::HmacSha256(kSecret, token));
    static_cast<void>(Verify(token, input));

    auto parsed = gotrue::json::Parse(claims);
    if (!parsed.Ok() || !parsed.document.IsObject()) {
        return;
    }
    std::string signed_by_set;
    try {
        signed_by_set = Mixed().Sign(parsed.document);
    } catch (const std::invalid_argument&) {
        return;  // NaN/Inf claims cannot be signed
    }
    tokens::VerifyOptions options;
    options.require_exp = false;
    const auto result = Mixed().Verify(signed_by_set, kNow, options);
    // Claims the verifier reads as dates may refuse the token (malformed or invalid claims); its
    // key, alg and signature never may.
    const bool key_refused =
        !result.Ok() && (result.Error().kind == tokens::VerifyErrorKind::kSignatureInvalid ||
                         result.Error().kind == tokens::VerifyErrorKind::kUnverifiable);
    if (key_refused && signed_by_set.size() <= tokens::kMaxTokenBytes) {
        Fail("the set refused its own token: " + result.Error().Message(), input);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libFuzzer passes bytes
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (input.starts_with('[')) {
        LoadKeys(input);
        return 0;
    }
    static_cast<void>(Verify(input, input));
    if (const auto newline = input.find('\n'); newline != std::string_view::npos) {
        SignHalves(input.substr(0, newline), input.substr(newline + 1), input);
    }
    return 0;
}
