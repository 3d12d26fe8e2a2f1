// Fuzzes tokens::VerifyHs256 (internal/tokens/jwt.hpp).
//
// Input: either a token ("header.claims.signature", anything really), or, when it contains a
// newline, "HEADER_JSON\nCLAIMS_JSON": both halves are base64url-encoded and signed with the
// fixed secret, so the fuzzer reaches the JSON, alg, kid and claim checks behind the signature
// instead of stopping at "signature is invalid". The whole input is also verified as a token.
//
// Checked besides "no crash, leak, UB or exception": an accepted token has alg HS256, an exp in
// the future (when required) and no nbf in the future; it is rejected under another or an empty
// secret; its claims re-signed with SignHs256 verify again to the same JSON (doubles within a few
// ULP); a rejection's detail starts with the text of its error kind.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "crypto/crypto.hpp"
#include "tokens/jwt.hpp"

namespace {

namespace crypto = gotrue::crypto;
namespace tokens = gotrue::tokens;

constexpr std::string_view kSecret = "super-secret-jwt-token-with-at-least-32-characters";
constexpr std::string_view kKeyId = "fuzz-kid";
constexpr std::int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z

[[noreturn]] void Fail(const char* what, std::string_view token) {
    static_cast<void>(std::fprintf(
        stderr,
        "jwt_fuzz: %s\ntoken: %.*s\n",
        what,
        static_cast<int>(std::min<std::size_t>(token.size(), 2000)),
        token.data()
    ));
    std::abort();
}

// Equal JSON, except that doubles may differ in the last bits: RapidJSON's default-precision
// parser does not always read back the shortest representation its writer printed.
bool SameJson(const rapidjson::Value& a, const rapidjson::Value& b) {  // NOLINT(misc-no-recursion)
    if (a.IsDouble() && b.IsDouble()) {
        const double x = a.GetDouble();
        const double y = b.GetDouble();
        return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
    }
    if (a.GetType() != b.GetType()) {
        return false;
    }
    if (a.IsObject()) {
        if (a.MemberCount() != b.MemberCount()) {
            return false;
        }
        for (auto i = a.MemberBegin(), j = b.MemberBegin(); i != a.MemberEnd(); ++i, ++j) {
            if (i->name != j->name || !SameJson(i->value, j->value)) {
                return false;
            }
        }
        return true;
    }
    if (a.IsArray()) {
        if (a.Size() != b.Size()) {
            return false;
        }
        for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
            if (!SameJson(a[i], b[i])) {
                return false;
            }
        }
        return true;
    }
    return a == b;
}

// golang-jwt's NumericDate truncation, as the verifier reads it.
double DateOf(const rapidjson::Value& claims, const char* name) {
    const auto it = claims.FindMember(name);
    if (it == claims.MemberEnd() || it->value.IsNull()) {
        return std::nan("");
    }
    if (!it->value.IsNumber()) {
        Fail("accepted a non-numeric date", name);
    }
    return std::floor(it->value.GetDouble());
}

std::string_view KindText(tokens::VerifyErrorKind kind) {
    switch (kind) {
        case tokens::VerifyErrorKind::kMalformed:
            return "token is malformed";
        case tokens::VerifyErrorKind::kUnverifiable:
            return "token is unverifiable";
        case tokens::VerifyErrorKind::kSignatureInvalid:
            return "token signature is invalid";
        case tokens::VerifyErrorKind::kInvalidClaims:
            return "token has invalid claims";
    }
    return "";
}

void CheckAccepted(
    std::string_view token, const tokens::VerifyResult& result, const tokens::VerifyOptions& options
) {
    const auto& header = result.Token().header;
    const auto& claims = result.Claims();
    if (!header.IsObject() || !claims.IsObject()) {
        Fail("accepted a non-object header or claims", token);
    }
    const auto alg = header.FindMember("alg");
    if (alg == header.MemberEnd() || !alg->value.IsString() ||
        std::string_view(alg->value.GetString(), alg->value.GetStringLength()) != "HS256") {
        Fail("accepted a token whose alg is not HS256", token);
    }
    const double exp = DateOf(claims, "exp");
    if (options.require_exp && std::isnan(exp)) {
        Fail("accepted a token without exp", token);
    }
    if (!std::isnan(exp) && exp <= static_cast<double>(kNow)) {
        Fail("accepted an expired token", token);
    }
    const double nbf = DateOf(claims, "nbf");
    if (!std::isnan(nbf) && nbf > static_cast<double>(kNow)) {
        Fail("accepted a token that is not valid yet", token);
    }
    if (tokens::VerifyHs256(token, "another-secret-of-at-least-32-characters", kNow, options)
            .Ok() ||
        tokens::VerifyHs256(token, "", kNow, options).Ok()) {
        Fail("accepted under another or an empty secret", token);
    }

    // Round trip: the claims, signed again, verify to the same JSON.
    const auto kid = header.FindMember("kid");
    const bool has_kid = kid != header.MemberEnd() && kid->value.IsString();
    const std::string again = tokens::SignHs256(claims, kSecret, has_kid ? kKeyId : "");
    if (again.size() > tokens::kMaxTokenBytes) {
        return;  // re-serialisation may grow the JSON (\u escapes, "1.0"): not comparable
    }
    const auto reverified = tokens::VerifyHs256(again, kSecret, kNow, options);
    if (!reverified.Ok()) {
        Fail(("re-signed claims rejected: " + reverified.Error().detail).c_str(), again);
    }
    if (!SameJson(reverified.Claims(), claims)) {
        Fail("re-signed claims differ", again);
    }
}

void Verify(std::string_view token) {
    tokens::VerifyOptions strict;
    tokens::VerifyOptions lenient;
    lenient.require_exp = false;
    lenient.key_id = std::string(kKeyId);
    for (const tokens::VerifyOptions* options : {&strict, &lenient}) {
        const auto result = tokens::VerifyHs256(token, kSecret, kNow, *options);
        if (result.Ok()) {
            CheckAccepted(token, result, *options);
            continue;
        }
        const tokens::VerifyError& error = result.Error();
        if (!error.detail.starts_with(KindText(error.kind)) ||
            !error.Message().starts_with(tokens::kBadJwtMessagePrefix)) {
            Fail(("error detail does not match its kind: " + error.detail).c_str(), token);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libFuzzer passes bytes
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    Verify(input);
    if (const auto newline = input.find('\n'); newline != std::string_view::npos) {
        std::string token = crypto::Base64UrlEncode(input.substr(0, newline)) + "." +
                            crypto::Base64UrlEncode(input.substr(newline + 1));
        const std::string signature = crypto::HmacSha256(kSecret, token);
        token += ".";
        token += crypto::Base64UrlEncode(signature);
        Verify(token);
    }
    return 0;
}
