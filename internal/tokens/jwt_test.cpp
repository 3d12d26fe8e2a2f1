#include "tokens/jwt.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/crypto.hpp"
#include "tokens/test_util.hpp"

namespace crypto = gotrue::crypto;
using gotrue::tokens::testing::DecodedHeader;
using gotrue::tokens::testing::Json;
using gotrue::tokens::testing::Serialize;
using gotrue::tokens::testing::Split;
namespace tokens = gotrue::tokens;

namespace {

constexpr std::string_view kSecret = "super-secret-jwt-token-with-at-least-32-characters";
constexpr std::int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z

// A token with arbitrary header/payload bytes, HMAC-SHA256-signed with secret.
std::string SignRaw(
    std::string_view header, std::string_view payload, std::string_view secret = kSecret
) {
    std::string input = crypto::Base64UrlEncode(header) + "." + crypto::Base64UrlEncode(payload);
    return input + "." + crypto::Base64UrlEncode(crypto::HmacSha256(secret, input));
}

std::string ValidPayload() {
    return R"({"sub":"c2ba6cb0-1ac5-4e36-8d4c-2a3f4c10d4b1","exp":)" + std::to_string(kNow + 3600) +
           "}";
}

// GCC 12's -Wmissing-field-initializers flags partial designated initializers, so the options
// are built field by field.
const tokens::VerifyOptions kExpOptional = [] {
    tokens::VerifyOptions options;
    options.require_exp = false;
    return options;
}();

tokens::VerifyOptions WithKeyId(std::string key_id) {
    tokens::VerifyOptions options;
    options.key_id = std::move(key_id);
    return options;
}

std::string Detail(const tokens::VerifyResult& result) {
    return result.Ok() ? std::string("<ok>") : result.Error().detail;
}

}  // namespace

TEST_SUITE("jwt") {
    TEST_CASE("SignHs256 reproduces the jwt.io HS256 example") {
        const auto claims = Json(R"({"sub":"1234567890","name":"John Doe","iat":1516239022})");
        const std::string token = tokens::SignHs256(claims, "your-256-bit-secret");
        CHECK(
            token ==
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
            "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
            "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
        );

        // It has no exp: valid only when exp is not required.
        const auto lenient = tokens::VerifyHs256(token, "your-256-bit-secret", kNow, kExpOptional);
        REQUIRE(lenient.Ok());
        CHECK(lenient.Claims()["name"] == "John Doe");
        CHECK(lenient.Claims()["iat"].GetInt64() == 1516239022);
        CHECK(lenient.Token().header["alg"] == "HS256");

        const auto strict = tokens::VerifyHs256(token, "your-256-bit-secret", kNow);
        REQUIRE_FALSE(strict.Ok());
        CHECK(strict.Error().kind == tokens::VerifyErrorKind::kInvalidClaims);
        CHECK(
            strict.Error().detail ==
            "token has invalid claims: token is missing required claim: exp claim is required"
        );
    }

    TEST_CASE("round trip keeps every claim") {
        const auto claims = Json(
            R"({"aud":"authenticated","exp":)" + std::to_string(kNow + 3600) +
            R"(,"iat":1767225600,"sub":"c2ba6cb0-1ac5-4e36-8d4c-2a3f4c10d4b1",)"
            R"("email":"j\u00f6rg@example.com","phone":"",)"
            R"("app_metadata":{"provider":"email","providers":["email","phone"]},)"
            R"("user_metadata":{"name":"J\u00f6rg \ud83d\udd11 \u65e5\u672c","nested":{"deep":[1,2.5,null,true,{"x":"y"}]},"quote":"\"\\/\n"},)"
            R"("role":"authenticated","aal":"aal1",)"
            R"("amr":[{"method":"password","timestamp":1767225600}],)"
            R"("session_id":"5f6f2b1e-8a4c-4b8e-9d1a-3c2b1a0f9e8d","is_anonymous":false,)"
            R"("big":9007199254740993,"negative":-42})"
        );
        const std::string token = tokens::SignHs256(claims, kSecret);
        CHECK(DecodedHeader(token) == R"({"alg":"HS256","typ":"JWT"})");
        const auto result = tokens::VerifyHs256(token, kSecret, kNow);
        REQUIRE_MESSAGE(result.Ok(), Detail(result));
        CHECK(result.Claims() == claims);
        CHECK(Serialize(result.Claims()) == Serialize(claims));
        CHECK(
            std::string(result.Claims()["user_metadata"]["name"].GetString()) ==
            "J\u00f6rg \U0001f511 \u65e5\u672c"
        );
        CHECK(result.Claims()["big"].GetInt64() == 9007199254740993);
    }

    TEST_CASE("a key id goes into the header between alg and typ") {
        const auto claims = Json(ValidPayload());
        const std::string token = tokens::SignHs256(claims, kSecret, "key-1");
        CHECK(DecodedHeader(token) == R"({"alg":"HS256","kid":"key-1","typ":"JWT"})");
        CHECK(tokens::VerifyHs256(token, kSecret, kNow, WithKeyId("key-1")).Ok());

        // GoTrue's keyfunc rejects a kid that is not the configured one.
        const auto other = tokens::VerifyHs256(token, kSecret, kNow);
        REQUIRE_FALSE(other.Ok());
        CHECK(other.Error().kind == tokens::VerifyErrorKind::kUnverifiable);
        CHECK(
            other.Error().detail ==
            "token is unverifiable: error while executing keyfunc: invalid kid: key-1"
        );
        CHECK(tokens::VerifyHs256(tokens::SignHs256(claims, kSecret), kSecret, kNow, WithKeyId("k"))
                  .Ok());
    }

    TEST_CASE("tampered payload, header or signature is rejected") {
        const std::string token = tokens::SignHs256(Json(ValidPayload()), kSecret);
        const auto parts = Split(token);
        REQUIRE(parts.size() == 3);

        const std::string admin_payload = crypto::Base64UrlEncode(
            R"({"sub":"c2ba6cb0-1ac5-4e36-8d4c-2a3f4c10d4b1","role":"service_role","exp":)" +
            std::to_string(kNow + 3600) + "}"
        );
        const std::string extended_header =
            crypto::Base64UrlEncode(R"({"alg":"HS256","typ":"JWT","x":1})");
        std::string flipped_signature = parts[2];
        flipped_signature[0] = flipped_signature[0] == 'A' ? 'B' : 'A';

        const std::vector<std::string> tampered = {
            parts[0] + "." + admin_payload + "." + parts[2],
            extended_header + "." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1] + "." + flipped_signature,
            parts[0] + "." + parts[1] + "." + parts[2].substr(0, 40),
            parts[0] + "." + parts[1] + ".",
            parts[0] + "." + parts[1] + "." + crypto::Base64UrlEncode(std::string(32, '\0')),
        };
        for (const std::string& candidate : tampered) {
            CAPTURE(candidate);
            const auto result = tokens::VerifyHs256(candidate, kSecret, kNow);
            REQUIRE_FALSE(result.Ok());
            CHECK(result.Error().kind == tokens::VerifyErrorKind::kSignatureInvalid);
            CHECK(result.Error().detail == "token signature is invalid: signature is invalid");
        }
    }

    TEST_CASE("a token signed with another secret is rejected") {
        const std::string token = tokens::SignHs256(Json(ValidPayload()), "another-secret");
        CHECK(
            Detail(tokens::VerifyHs256(token, kSecret, kNow)) ==
            "token signature is invalid: signature is invalid"
        );
        // An unconfigured (empty) secret never verifies anything.
        const std::string forged = SignRaw(R"({"alg":"HS256","typ":"JWT"})", ValidPayload(), "");
        CHECK(
            Detail(tokens::VerifyHs256(forged, "", kNow)) ==
            "token is unverifiable: error while executing keyfunc: no secret configured"
        );
    }

    TEST_CASE("alg none is rejected with or without a signature") {
        const std::string header = R"({"alg":"none","typ":"JWT"})";
        const std::string unsigned_token =
            crypto::Base64UrlEncode(header) + "." + crypto::Base64UrlEncode(ValidPayload()) + ".";
        const std::string signed_token = SignRaw(header, ValidPayload());
        for (const std::string& token : {unsigned_token, signed_token}) {
            CAPTURE(token);
            const auto result = tokens::VerifyHs256(token, kSecret, kNow);
            REQUIRE_FALSE(result.Ok());
            CHECK(result.Error().kind == tokens::VerifyErrorKind::kSignatureInvalid);
            CHECK(
                result.Error().detail ==
                "token signature is invalid: signing method none is invalid"
            );
        }
    }

    TEST_CASE("other algorithms are rejected") {
        for (const std::string alg : {"HS512", "HS384", "RS256", "ES256", "PS256", "EdDSA"}) {
            CAPTURE(alg);
            const std::string token =
                SignRaw(R"({"alg":")" + alg + R"(","typ":"JWT"})", ValidPayload());
            CHECK(
                Detail(tokens::VerifyHs256(token, kSecret, kNow)) ==
                "token signature is invalid: signing method " + alg + " is invalid"
            );
        }
        for (const std::string alg : {"None", "NONE", "hs256", "HS256 ", ""}) {
            CAPTURE(alg);
            const std::string token =
                SignRaw(R"({"alg":")" + alg + R"(","typ":"JWT"})", ValidPayload());
            CHECK(
                Detail(tokens::VerifyHs256(token, kSecret, kNow)) ==
                "token is unverifiable: signing method (alg) is unavailable"
            );
        }
        for (const std::string header :
             {R"({"typ":"JWT"})", R"({"alg":null})", R"({"alg":256})", R"({"alg":["HS256"]})"}) {
            CAPTURE(header);
            CHECK(
                Detail(tokens::VerifyHs256(SignRaw(header, ValidPayload()), kSecret, kNow)) ==
                "token is unverifiable: signing method (alg) is unspecified"
            );
        }
    }

    TEST_CASE("exp is enforced: now must be before exp") {
        const auto sign_with_exp = [](const std::string& exp) {
            return SignRaw(R"({"alg":"HS256","typ":"JWT"})", R"({"sub":"x","exp":)" + exp + "}");
        };
        const std::string expired_detail = "token has invalid claims: token is expired";
        CHECK(
            Detail(tokens::VerifyHs256(sign_with_exp(std::to_string(kNow - 1)), kSecret, kNow)) ==
            expired_detail
        );
        CHECK(
            Detail(tokens::VerifyHs256(sign_with_exp(std::to_string(kNow)), kSecret, kNow)) ==
            expired_detail
        );
        CHECK(tokens::VerifyHs256(sign_with_exp(std::to_string(kNow + 1)), kSecret, kNow).Ok());
        // Fractions are truncated like golang-jwt's NumericDate.
        CHECK(
            Detail(tokens::VerifyHs256(sign_with_exp(std::to_string(kNow) + ".9"), kSecret, kNow)
            ) == expired_detail
        );
        CHECK(tokens::VerifyHs256(sign_with_exp("1e300"), kSecret, kNow).Ok());
        CHECK(tokens::VerifyHs256(sign_with_exp("18446744073709551615"), kSecret, kNow).Ok());
        CHECK(
            Detail(tokens::VerifyHs256(sign_with_exp("-1e300"), kSecret, kNow)) == expired_detail
        );
        // A non-numeric exp cannot be decoded into a NumericDate.
        CHECK(
            Detail(tokens::VerifyHs256(sign_with_exp("\"2099-01-01\""), kSecret, kNow)) ==
            "token is malformed: could not JSON decode claim: exp is invalid"
        );
        CHECK(
            Detail(tokens::VerifyHs256(sign_with_exp("true"), kSecret, kNow)) ==
            "token is malformed: could not JSON decode claim: exp is invalid"
        );
    }

    TEST_CASE("a missing or null exp is rejected unless exp is optional") {
        const std::string header = R"({"alg":"HS256","typ":"JWT"})";
        const std::string missing_detail =
            "token has invalid claims: token is missing required claim: exp claim is required";
        for (const std::string payload : {R"({"sub":"x"})", R"({"sub":"x","exp":null})"}) {
            CAPTURE(payload);
            const std::string token = SignRaw(header, payload);
            CHECK(Detail(tokens::VerifyHs256(token, kSecret, kNow)) == missing_detail);
            CHECK(tokens::VerifyHs256(token, kSecret, kNow, kExpOptional).Ok());
        }
    }

    TEST_CASE("nbf in the future is rejected and claim errors are joined") {
        const std::string header = R"({"alg":"HS256","typ":"JWT"})";
        const std::string exp = std::to_string(kNow + 60);
        CHECK(
            Detail(tokens::VerifyHs256(
                SignRaw(header, R"({"exp":)" + exp + R"(,"nbf":)" + std::to_string(kNow + 1) + "}"),
                kSecret,
                kNow
            )) == "token has invalid claims: token is not valid yet"
        );
        CHECK(tokens::VerifyHs256(
                  SignRaw(header, R"({"exp":)" + exp + R"(,"nbf":)" + std::to_string(kNow) + "}"),
                  kSecret,
                  kNow
        )
                  .Ok());
        CHECK(
            Detail(tokens::VerifyHs256(
                SignRaw(header, R"({"exp":1,"nbf":)" + std::to_string(kNow + 1) + "}"),
                kSecret,
                kNow
            )) == "token has invalid claims: token is expired, token is not valid yet"
        );
        CHECK(
            Detail(tokens::VerifyHs256(
                SignRaw(header, R"({"exp":)" + exp + R"(,"nbf":"x"})"), kSecret, kNow
            )) == "token is malformed: could not JSON decode claim: nbf is invalid"
        );
    }

    TEST_CASE("iat in the future is ignored like golang-jwt v5") {
        const std::string payload = R"({"exp":)" + std::to_string(kNow + 60) + R"(,"iat":)" +
                                    std::to_string(kNow + 86400) + "}";
        CHECK(tokens::VerifyHs256(SignRaw(R"({"alg":"HS256"})", payload), kSecret, kNow).Ok());
    }

    TEST_CASE("malformed tokens are rejected without throwing") {
        const std::string good = tokens::SignHs256(Json(ValidPayload()), kSecret);
        const auto parts = Split(good);
        const std::string header = R"({"alg":"HS256","typ":"JWT"})";
        const std::string huge(1 << 20, 'a');
        const std::string huge_dotted = huge + "." + huge + "." + huge;

        struct Case {
            std::string token;
            std::string detail_prefix;
        };

        const std::vector<Case> cases = {
            {"", "token is malformed: token contains an invalid number of segments"},
            {"a.b", "token is malformed: token contains an invalid number of segments"},
            {"a.b.c.d", "token is malformed: token contains an invalid number of segments"},
            {good + ".", "token is malformed: token contains an invalid number of segments"},
            {"....", "token is malformed: token contains an invalid number of segments"},
            {"..", "token is malformed: could not JSON decode header: "},
            {huge, "token is malformed: token is too large"},
            {huge_dotted, "token is malformed: token is too large"},
            {"!!!." + parts[1] + "." + parts[2],
             "token is malformed: could not base64 decode header: illegal base64 data at input "
             "byte 0"},
            {parts[0] + "=." + parts[1] + "." + parts[2],
             "token is malformed: could not base64 decode header: illegal base64 data at input "
             "byte " +
                 std::to_string(parts[0].size())},
            {parts[0] + "." + parts[1] + "+." + parts[2],
             "token is malformed: could not base64 decode claim: illegal base64 data"},
            {parts[0] + "." + parts[1] + "." + parts[2] + "=",
             "token is malformed: could not base64 decode signature: illegal base64 data"},
            {"Bearer " + good, "token is malformed: tokenstring should not contain 'bearer '"},
            {SignRaw("not json", ValidPayload()),
             "token is malformed: could not JSON decode header: "},
            {SignRaw(R"(["alg","HS256"])", ValidPayload()),
             "token is malformed: could not JSON decode header: not a JSON object"},
            {SignRaw(header + " x", ValidPayload()),
             "token is malformed: could not JSON decode header: "},
            {SignRaw(header, "not json"), "token is malformed: could not JSON decode claim: "},
            {SignRaw(header, "[]"),
             "token is malformed: could not JSON decode claim: not a JSON object"},
            {SignRaw(header, "\"string\""),
             "token is malformed: could not JSON decode claim: not a JSON object"},
            {SignRaw(header, "{\"sub\":\"\xff\xfe\"}"),
             "token is malformed: could not JSON decode claim: "},
            {SignRaw(header, std::string("{\"sub\":\"a\0b\"}", 13)),
             "token is malformed: could not JSON decode claim: "},
            {SignRaw(header, R"({"exp":1e999})"),
             "token is malformed: could not JSON decode claim: "},
            {SignRaw(
                 header,
                 R"({"exp":)" + std::to_string(kNow + 60) + R"(,"role":"a","role":"service_role"})"
             ),
             "token is malformed: could not JSON decode claim: duplicate key \"role\""},
            {SignRaw(R"({"alg":"none","alg":"HS256"})", ValidPayload()),
             "token is malformed: could not JSON decode header: duplicate key \"alg\""},
        };
        for (const Case& test : cases) {
            CAPTURE(test.token.substr(0, 120));
            std::string detail;
            CHECK_NOTHROW(detail = Detail(tokens::VerifyHs256(test.token, kSecret, kNow)));
            CHECK(detail.rfind(test.detail_prefix, 0) == 0);
            if (detail.rfind(test.detail_prefix, 0) != 0) {
                MESSAGE(detail);
            }
        }
    }

    TEST_CASE("random garbage never throws and never verifies") {
        for (std::size_t length = 0; length < 300; ++length) {
            std::string garbage = crypto::RandomBytes(length);
            if (length > 10) {
                garbage[length / 3] = '.';
                garbage[2 * length / 3] = '.';
            }
            bool ok = true;
            CHECK_NOTHROW(ok = tokens::VerifyHs256(garbage, kSecret, kNow).Ok());
            CHECK_FALSE(ok);
        }
    }

    TEST_CASE("a zero with a large exponent reads as zero (fuzz: jwt)") {
        // RapidJSON 1.1.0's full-precision parser ran __builtin_clzll(0) on these (undefined
        // behaviour; "exp":0e-23 read as 1.66e35 with clang, i.e. a token that never expires).
        const std::string header = R"({"alg":"HS256","typ":"JWT"})";
        for (const std::string zero :
             {"0e-23", "0e300", "-0e300", "0.000e-40", "0e38", "0.0e-330"}) {
            CAPTURE(zero);
            const auto result = tokens::VerifyHs256(
                SignRaw(
                    header,
                    std::string(R"({"exp":)")
                        .append(std::to_string(kNow + 60))
                        .append(R"(,"nbf":)")
                        .append(zero)
                        .append(R"(,"z":)")
                        .append(zero)
                        .append("}")
                ),
                kSecret,
                kNow
            );
            REQUIRE_MESSAGE(result.Ok(), Detail(result));
            CHECK(result.Claims()["z"].GetDouble() == 0.0);
            CHECK(
                Detail(
                    tokens::VerifyHs256(SignRaw(header, R"({"exp":)" + zero + "}"), kSecret, kNow)
                ) == "token has invalid claims: token is expired"
            );
        }
    }

    TEST_CASE(
        "a lone low surrogate escape reads as U+FFFD, as in Go, never as invalid UTF-8 (fuzz: jwt)"
    ) {
        // RapidJSON decoded "\udd11" into the bytes ED B4 91 despite kParseValidateEncodingFlag,
        // so the claims were not valid UTF-8 and could not be re-signed and verified. json::Parse
        // replaces it as Go's encoding/json (and so golang-jwt) does.
        const std::string header = R"({"alg":"HS256","typ":"JWT"})";
        const std::string exp = R"({"exp":)" + std::to_string(kNow + 60);
        const auto lone = tokens::VerifyHs256(
            SignRaw(header, exp + R"(,"name":"\udd11 x","deep":[[{"a":["\udc00"]}]]})"),
            kSecret,
            kNow
        );
        REQUIRE_MESSAGE(lone.Ok(), Detail(lone));
        CHECK(std::string(lone.Claims()["name"].GetString()) == "\xEF\xBF\xBD x");
        // A lone high surrogate is no JSON RapidJSON reads.
        CHECK(
            Detail(
                tokens::VerifyHs256(SignRaw(header, exp + R"(,"name":"\ud83d x"})"), kSecret, kNow)
            )
                .find("could not JSON decode claim") != std::string::npos
        );
        // A proper pair and raw UTF-8 are fine.
        const auto ok = tokens::VerifyHs256(
            SignRaw(header, exp + ",\"k\":\"\\ud83d\\udd11 \xF0\x9F\x94\x91 \xE6\x97\xA5\"}"),
            kSecret,
            kNow
        );
        REQUIRE_MESSAGE(ok.Ok(), Detail(ok));
        CHECK(std::string(ok.Claims()["k"].GetString()) == "\U0001f511 \U0001f511 \u65e5");
    }

    TEST_CASE("a number that overflows to infinity is refused like Go does (fuzz: jwt)") {
        // RapidJSON's exponent check ignores the significand: 17672292001e300 read as +Inf, an
        // exp that never expires and claims that SignHs256 cannot serialise again.
        const std::string header = R"({"alg":"HS256","typ":"JWT"})";
        const std::string detail =
            "token is malformed: could not JSON decode claim: number too big to be stored in "
            "double";
        CHECK(
            Detail(tokens::VerifyHs256(SignRaw(header, R"({"exp":17672292001e300})"), kSecret, kNow)
            )
                .rfind(detail, 0) == 0
        );
        CHECK(
            Detail(tokens::VerifyHs256(
                       SignRaw(
                           header,
                           R"({"exp":)" + std::to_string(kNow + 60) +
                               R"(,"x":[{"y":-9999999999e300}]})"
                       ),
                       kSecret,
                       kNow
                   ))
                .rfind(detail, 0) == 0
        );
        // The largest finite values still verify.
        CHECK(tokens::VerifyHs256(
                  SignRaw(
                      header,
                      R"({"exp":)" + std::to_string(kNow + 60) +
                          R"(,"max":1.7976931348623157e308,"min":-1.7976931348623157e308})"
                  ),
                  kSecret,
                  kNow
        )
                  .Ok());
    }

    TEST_CASE("deeply nested claims are refused without exhausting the stack") {
        const std::string nested = std::string(5000, '[') + std::string(5000, ']');
        const std::string payload =
            R"({"exp":)" + std::to_string(kNow + 60) + R"(,"deep":)" + nested + "}";
        const std::string token = SignRaw(R"({"alg":"HS256"})", payload);
        REQUIRE(token.size() < tokens::kMaxTokenBytes);
        const auto result = tokens::VerifyHs256(token, kSecret, kNow);
        CHECK_FALSE(result.Ok());
        CHECK(Detail(result).find("exceeded max depth of 400") != std::string::npos);
    }

    TEST_CASE("the 16 KiB limit applies to the whole token") {
        const auto make_token = [](std::size_t padding) {
            rapidjson::Document claims = Json(ValidPayload());
            const std::string pad(padding, 'p');
            claims.AddMember(
                "pad", rapidjson::Value(pad.c_str(), claims.GetAllocator()), claims.GetAllocator()
            );
            return tokens::SignHs256(claims, kSecret);
        };
        const std::size_t base = make_token(0).size();
        // Each 3 bytes of payload add 4 characters; aim just below and above the limit.
        const std::size_t fits = (tokens::kMaxTokenBytes - base) / 4 * 3;
        const std::string at_limit = make_token(fits);
        REQUIRE(at_limit.size() <= tokens::kMaxTokenBytes);
        CHECK(tokens::VerifyHs256(at_limit, kSecret, kNow).Ok());
        const std::string over = make_token(fits + 4);
        REQUIRE(over.size() > tokens::kMaxTokenBytes);
        CHECK(
            Detail(tokens::VerifyHs256(over, kSecret, kNow)) ==
            "token is malformed: token is too large"
        );
    }

    TEST_CASE("error message uses GoTrue's bad_jwt wording") {
        const auto result = tokens::VerifyHs256("a.b", kSecret, kNow);
        REQUIRE_FALSE(result.Ok());
        CHECK_FALSE(static_cast<bool>(result));
        CHECK(result.Error().kind == tokens::VerifyErrorKind::kMalformed);
        CHECK(
            result.Error().Message() ==
            "invalid JWT: unable to parse or verify signature, token is malformed: token contains "
            "an invalid number of segments"
        );
        CHECK_THROWS_AS(static_cast<void>(result.Token()), std::logic_error);
        const auto ok =
            tokens::VerifyHs256(tokens::SignHs256(Json(ValidPayload()), kSecret), kSecret, kNow);
        REQUIRE(ok.Ok());
        CHECK_THROWS_AS(static_cast<void>(ok.Error()), std::logic_error);
    }

    TEST_CASE("SignHs256 rejects non-objects, empty secrets and NaN") {
        CHECK_THROWS_AS(
            static_cast<void>(tokens::SignHs256(Json("[1,2]"), kSecret)), std::invalid_argument
        );
        CHECK_THROWS_AS(
            static_cast<void>(tokens::SignHs256(Json(ValidPayload()), "")), std::invalid_argument
        );
        rapidjson::Document claims = Json("{}");
        claims.AddMember("exp", std::nan(""), claims.GetAllocator());
        CHECK_THROWS_AS(
            static_cast<void>(tokens::SignHs256(claims, kSecret)), std::invalid_argument
        );
    }
}
