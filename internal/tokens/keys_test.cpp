#include "tokens/keys.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/crypto.hpp"
#include "tokens/key.hpp"
#include "tokens/test_util.hpp"

namespace crypto = gotrue::crypto;
namespace tokens = gotrue::tokens;
namespace detail = gotrue::tokens::detail;
using namespace gotrue::tokens::testing;  // Json, Serialize, Split, DecodedHeader

namespace {

constexpr std::string_view kSecret = "super-secret-jwt-token-with-at-least-32-characters";
constexpr std::int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z

// RFC 7515 Appendix A.2 (RS256) and A.3 (ES256): the keys and the signed example.
constexpr std::string_view kRfcRsaKey =
    R"({"kty":"RSA","kid":"rfc7515-a2","alg":"RS256","key_ops":["sign"],")"
    R"(n":")"
    R"(ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1)"
    R"(Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpa)"
    R"(SHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4)"
    R"(LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ)"
    R"(",")"
    R"(e":")"
    R"(AQAB)"
    R"(",")"
    R"(d":")"
    R"(Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwV)"
    R"(ol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzj)"
    R"(kn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaF)"
    R"(QT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ)"
    R"(",")"
    R"(p":")"
    R"(4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0H)"
    R"(w_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc)"
    R"(",")"
    R"(q":")"
    R"(uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7T)"
    R"(jeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc)"
    R"(",")"
    R"(dp":")"
    R"(BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-F)"
    R"(OKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0)"
    R"(",")"
    R"(dq":")"
    R"(h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do)"
    R"(9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU)"
    R"(",")"
    R"(qi":")"
    R"(IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3yd)"
    R"(y5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U)"
    R"("})";
constexpr std::string_view kRfcEcKey =
    R"({"kty":"EC","kid":"rfc7515-a3","alg":"ES256","key_ops":["sign"],"crv":"P-256",)"
    R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",)"
    R"("d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})";
// {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
constexpr std::string_view kRfcPayload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";
constexpr std::string_view kRfcRsaSignature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5"
    "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L"
    "07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEU"
    "ipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
constexpr std::string_view kRfcEcSignature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr std::int64_t kRfcExp = 1300819380;

std::string FixturePath(const std::string& name) {
    return std::string(GOTRUE_SOURCE_DIR) + "/tests/fixtures/jwt_keys/" + name;
}

std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFile(const std::string& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

// A fixture JWK (tests/fixtures/jwt_keys/<name>.jwk.json, key_ops sign+verify) changed by `edit`.
template <typename Edit>
std::string Jwk(const std::string& name, Edit edit) {
    rapidjson::Document jwk = Json(ReadFile(FixturePath(name + ".jwk.json")));
    edit(jwk);
    return Serialize(jwk);
}

std::string Jwk(const std::string& name) {
    return Jwk(name, [](rapidjson::Document&) {});
}

// The fixture as a key that only verifies, with or without its private members.
std::string VerifyOnly(const std::string& name, bool public_only = false) {
    return Jwk(name, [public_only](rapidjson::Document& jwk) {
        jwk["key_ops"].SetArray().PushBack("verify", jwk.GetAllocator());
        if (public_only) {
            for (const char* member : {"d", "p", "q", "dp", "dq", "qi"}) {
                jwk.RemoveMember(member);
            }
        }
    });
}

std::string Array(const std::vector<std::string>& jwks) {
    std::string text = "[";
    for (const auto& jwk : jwks) {
        text += (text.size() > 1 ? "," : "") + jwk;
    }
    return text + "]";
}

tokens::KeySet Load(std::string keys, std::vector<std::string> valid_methods = {}) {
    tokens::KeySetOptions options;
    options.keys = std::move(keys);
    options.secret = std::string(kSecret);
    options.valid_methods = std::move(valid_methods);
    return tokens::KeySet::Load(options);
}

// What KeySet::Load refuses `keys` with.
std::string LoadError(std::string keys, std::vector<std::string> valid_methods = {}) {
    try {
        static_cast<void>(Load(std::move(keys), std::move(valid_methods)));
    } catch (const tokens::KeyError& error) {
        return error.what();
    }
    return "<loaded>";
}

std::string ValidPayload() {
    return R"({"sub":"c2ba6cb0-1ac5-4e36-8d4c-2a3f4c10d4b1","role":"authenticated","exp":)" +
           std::to_string(kNow + 3600) + "}";
}

std::string Detail(const tokens::VerifyResult& result) {
    return result.Ok() ? std::string("<ok>") : result.Error().detail;
}

// A token with this header and payload signed by `key` (any alg in the header).
std::string SignRaw(std::string_view header, std::string_view payload, const detail::Key& key) {
    const std::string input =
        crypto::Base64UrlEncode(header) + "." + crypto::Base64UrlEncode(payload);
    return input + "." + crypto::Base64UrlEncode(detail::SignBytes(key, input));
}

detail::Key KeyOf(std::string_view jwk) {
    return detail::ParseJwk(Json(jwk));
}

// Verifies with exactly `key`, as a keyfunc that always returns it would.
tokens::VerifyResult VerifyWith(
    const std::string& token, const detail::Key& key, std::int64_t now
) {
    tokens::VerifyOptions options;
    return detail::VerifyToken(
        token,
        now,
        options,
        {key.algorithm},
        [&key](const rapidjson::Value&, std::string_view) {
            return detail::KeyChoice{&key, ""};
        }
    );
}

// DER INTEGER of an unsigned big-endian number (test side of the ES256 CLI cross-check).
std::string DerInteger(std::string_view bytes) {
    while (bytes.size() > 1 && bytes.front() == '\0') {
        bytes.remove_prefix(1);
    }
    std::string value(bytes);
    if ((static_cast<unsigned char>(value.front()) & 0x80U) != 0) {
        value.insert(value.begin(), '\0');
    }
    return std::string("\x02") + static_cast<char>(value.size()) + value;
}

std::string JoseToDer(std::string_view jose) {
    const std::string body = DerInteger(jose.substr(0, 32)) + DerInteger(jose.substr(32));
    return std::string("\x30") + static_cast<char>(body.size()) + body;
}

std::string DerToJose(std::string_view der) {
    std::string jose;
    std::size_t at = 2;  // SEQUENCE, short length (P-256 signatures are under 128 bytes)
    for (int i = 0; i < 2; ++i) {
        const auto length = static_cast<std::size_t>(static_cast<unsigned char>(der.at(at + 1)));
        std::string value(der.substr(at + 2, length));
        value.erase(0, value.size() > 32 ? value.size() - 32 : 0);
        jose += std::string(32 - value.size(), '\0') + value;
        at += 2 + length;
    }
    return jose;
}

// A scratch directory for the openssl command line, removed at the end of the test.
struct Scratch {
    Scratch() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "gotrue-keys-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        dir = pattern;
    }

    ~Scratch() { std::filesystem::remove_all(dir); }

    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;

    [[nodiscard]] std::string Path(const std::string& name) const { return dir + "/" + name; }

    std::string dir;
};

// `openssl dgst -sha256` over `input`: verifies `signature` (DER for EC) with the public PEM.
bool OpenSslVerifies(
    const std::string& public_pem, std::string_view input, std::string_view signature
) {
    const Scratch scratch;
    WriteFile(scratch.Path("input"), input);
    WriteFile(scratch.Path("signature"), signature);
    const std::string command = "openssl dgst -sha256 -verify " + public_pem + " -signature " +
                                scratch.Path("signature") + " " + scratch.Path("input") +
                                " >/dev/null 2>&1";
    return std::system(command.c_str()) == 0;
}

// `openssl dgst -sha256 -sign`: the signature of `input` with the private PEM (DER for EC).
std::string OpenSslSigns(const std::string& private_pem, std::string_view input) {
    const Scratch scratch;
    WriteFile(scratch.Path("input"), input);
    const std::string command = "openssl dgst -sha256 -sign " + private_pem + " -out " +
                                scratch.Path("signature") + " " + scratch.Path("input");
    REQUIRE(std::system(command.c_str()) == 0);
    return ReadFile(scratch.Path("signature"));
}

}  // namespace

TEST_SUITE("keys") {
    TEST_CASE("RS256 signs the RFC 7515 A.2 example byte for byte and verifies it") {
        const detail::Key key = KeyOf(kRfcRsaKey);
        const std::string input = "eyJhbGciOiJSUzI1NiJ9." + std::string(kRfcPayload);
        CHECK(crypto::Base64UrlEncode(detail::SignBytes(key, input)) == kRfcRsaSignature);
        const std::string token = input + "." + std::string(kRfcRsaSignature);
        const auto verified = VerifyWith(token, key, kRfcExp - 1);
        REQUIRE_MESSAGE(verified.Ok(), Detail(verified));
        CHECK(verified.Claims()["iss"] == "joe");
        CHECK(
            Detail(VerifyWith(token, key, kRfcExp)) == "token has invalid claims: token is expired"
        );
    }

    TEST_CASE("ES256 verifies the RFC 7515 A.3 example and refuses its DER form") {
        const detail::Key key = KeyOf(kRfcEcKey);
        const std::string input = "eyJhbGciOiJFUzI1NiJ9." + std::string(kRfcPayload);
        const auto verified =
            VerifyWith(input + "." + std::string(kRfcEcSignature), key, kRfcExp - 1);
        REQUIRE_MESSAGE(verified.Ok(), Detail(verified));
        CHECK(verified.Claims()["http://example.com/is_root"].IsTrue());

        const std::string jose = crypto::Base64UrlDecode(kRfcEcSignature).value();
        CHECK(
            Detail(VerifyWith(input + "." + crypto::Base64UrlEncode(JoseToDer(jose)), key, 0)) ==
            "token signature is invalid: crypto/ecdsa: verification error"
        );
        // ECDSA signatures are randomised: ours differ from the RFC's but verify, and are r||s.
        const std::string ours = detail::SignBytes(key, input);
        CHECK(ours.size() == 64);
        CHECK(ours != jose);
        CHECK(VerifyWith(input + "." + crypto::Base64UrlEncode(ours), key, kRfcExp - 1).Ok());
    }

    TEST_CASE("the openssl command line verifies our RS256 and ES256 tokens") {
        for (const std::string name : {"rsa-a", "ec-a"}) {
            CAPTURE(name);
            const auto keys = Load(Array({Jwk(name)}));
            const std::string token = keys.Sign(Json(ValidPayload()));
            const auto parts = Split(token);
            const std::string input = parts[0] + "." + parts[1];
            std::string signature = crypto::Base64UrlDecode(parts[2]).value();
            if (name == "ec-a") {
                CHECK(signature.size() == 64);
                signature = JoseToDer(signature);
            }
            CHECK(OpenSslVerifies(FixturePath(name + ".pub.pem"), input, signature));
            CHECK_FALSE(OpenSslVerifies(FixturePath(name + ".pub.pem"), input + "x", signature));
        }
    }

    TEST_CASE("tokens the openssl command line signs verify by kid") {
        const auto keys = Load(Array({Jwk("rsa-a"), VerifyOnly("ec-a")}));
        for (const std::string name : {"rsa-a", "ec-a"}) {
            CAPTURE(name);
            const std::string alg = name == "ec-a" ? "ES256" : "RS256";
            std::string header = R"({"alg":")";
            header += alg + R"(","kid":")";
            header += name + R"(","typ":"JWT"})";
            const std::string input =
                crypto::Base64UrlEncode(header) + "." + crypto::Base64UrlEncode(ValidPayload());
            std::string signature = OpenSslSigns(FixturePath(name + ".pem"), input);
            if (name == "ec-a") {
                signature = DerToJose(signature);
            }
            const auto verified =
                keys.Verify(input + "." + crypto::Base64UrlEncode(signature), kNow);
            REQUIRE_MESSAGE(verified.Ok(), Detail(verified));
            CHECK(verified.Claims()["role"] == "authenticated");
        }
    }

    TEST_CASE("every issued token names its key and algorithm in the header") {
        const auto payload = Json(ValidPayload());
        const auto rsa = Load(Array({Jwk("rsa-a"), VerifyOnly("ec-a")}));
        CHECK(rsa.SigningAlgorithm() == "RS256");
        CHECK(DecodedHeader(rsa.Sign(payload)) == R"({"alg":"RS256","kid":"rsa-a","typ":"JWT"})");
        const auto ec = Load(Array({VerifyOnly("rsa-a"), Jwk("ec-a")}));
        CHECK(ec.SigningAlgorithm() == "ES256");
        CHECK(DecodedHeader(ec.Sign(payload)) == R"({"alg":"ES256","kid":"ec-a","typ":"JWT"})");
        const auto oct =
            Load(R"([{"kty":"oct","kid":"hs","alg":"HS256","key_ops":["sign"],"k":"c2VjcmV0"}])");
        CHECK(DecodedHeader(oct.Sign(payload)) == R"({"alg":"HS256","kid":"hs","typ":"JWT"})");
        // The oct key's k signs, not GOTRUE_JWT_SECRET.
        CHECK(tokens::VerifyHs256(
                  oct.Sign(payload),
                  "secret",
                  kNow,
                  [] {
                      tokens::VerifyOptions options;
                      options.key_id = "hs";
                      return options;
                  }()
        )
                  .Ok());

        for (const auto* keys : {&rsa, &ec, &oct}) {
            const auto verified = keys->Verify(keys->Sign(payload), kNow);
            REQUIRE_MESSAGE(verified.Ok(), Detail(verified));
            CHECK(verified.Claims() == payload);
        }
    }

    TEST_CASE("without keys the secret signs HS256, with GOTRUE_JWT_KEY_ID as kid") {
        tokens::KeySetOptions options;
        options.secret = std::string(kSecret);
        const auto plain = tokens::KeySet::Load(options);
        const std::string token = plain.Sign(Json(ValidPayload()));
        CHECK(DecodedHeader(token) == R"({"alg":"HS256","typ":"JWT"})");
        CHECK(token == tokens::SignHs256(Json(ValidPayload()), kSecret));
        CHECK(plain.PublicJwks() == R"({"keys":[]})");

        options.key_id = "legacy";
        const auto with_kid = tokens::KeySet::Load(options);
        CHECK(
            DecodedHeader(with_kid.Sign(Json(ValidPayload()))) ==
            R"({"alg":"HS256","kid":"legacy","typ":"JWT"})"
        );
        CHECK(with_kid.Verify(with_kid.Sign(Json(ValidPayload())), kNow).Ok());
        // An empty array is no keys at all, as in GoTrue.
        CHECK(Load("[]").Sign(Json(ValidPayload())) == token);
    }

    TEST_CASE("a retired key that is still listed keeps verifying its tokens") {
        const auto payload = Json(ValidPayload());
        const std::string old_token = Load(Array({Jwk("rsa-a")})).Sign(payload);
        const std::string old_ec_token = Load(Array({Jwk("ec-a")})).Sign(payload);
        // Rotation: rsa-b signs now; rsa-a stays as its public part only, ec-a with its d.
        const auto rotated =
            Load(Array({VerifyOnly("rsa-a", true), Jwk("rsa-b"), VerifyOnly("ec-a")}));
        CHECK(DecodedHeader(rotated.Sign(payload)).find(R"("kid":"rsa-b")") != std::string::npos);
        CHECK(rotated.Verify(old_token, kNow).Ok());
        CHECK(rotated.Verify(old_ec_token, kNow).Ok());
        CHECK(rotated.Verify(rotated.Sign(payload), kNow).Ok());
        // Once it is removed, its tokens stop working.
        const auto removed = Load(Array({Jwk("rsa-b")}));
        CHECK(
            Detail(removed.Verify(old_token, kNow)) ==
            "token is unverifiable: error while executing keyfunc: invalid kid: rsa-a"
        );
    }

    TEST_CASE("unknown or missing kid, wrong alg and tampering are refused") {
        const auto keys = Load(Array({Jwk("rsa-a"), VerifyOnly("ec-a")}));
        const detail::Key rsa = KeyOf(Jwk("rsa-a"));
        const detail::Key ec = KeyOf(Jwk("ec-a"));
        const std::string payload = ValidPayload();

        CHECK(
            Detail(keys.Verify(SignRaw(R"({"alg":"RS256","kid":"nope"})", payload, rsa), kNow)) ==
            "token is unverifiable: error while executing keyfunc: invalid kid: nope"
        );
        CHECK(
            Detail(keys.Verify(SignRaw(R"({"alg":"RS256"})", payload, rsa), kNow)) ==
            "token is unverifiable: error while executing keyfunc: unrecognized JWT kid <nil> "
            "for algorithm RS256"
        );
        CHECK(
            Detail(keys.Verify(SignRaw(R"({"alg":"ES256","kid":7})", payload, ec), kNow)) ==
            "token is unverifiable: error while executing keyfunc: unrecognized JWT kid 7 for "
            "algorithm ES256"
        );
        // The alg must fit the key its kid names.
        CHECK(
            Detail(keys.Verify(SignRaw(R"({"alg":"ES256","kid":"rsa-a"})", payload, ec), kNow)) ==
            "token signature is invalid: key is of invalid type: ECDSA verify expects "
            "*ecdsa.PublicKey"
        );
        CHECK(
            Detail(keys.Verify(SignRaw(R"({"alg":"RS256","kid":"ec-a"})", payload, rsa), kNow)) ==
            "token signature is invalid: key is of invalid type: RSA verify expects "
            "*rsa.PublicKey"
        );
        // Another key's signature under a listed kid.
        const detail::Key other = KeyOf(Jwk("rsa-b"));
        CHECK(
            Detail(keys.Verify(SignRaw(R"({"alg":"RS256","kid":"rsa-a"})", payload, other), kNow)
            ) == "token signature is invalid: crypto/rsa: verification error"
        );

        // HS256 is not a valid method here: no HMAC with the secret, nor with a public key.
        detail::Key secret;
        secret.secret = std::string(kSecret);
        CHECK(
            Detail(keys.Verify(SignRaw(R"({"alg":"HS256"})", payload, secret), kNow)) ==
            "token signature is invalid: signing method HS256 is invalid"
        );
        CHECK(
            Detail(keys.Verify(SignRaw(R"({"alg":"RS384","kid":"rsa-a"})", payload, rsa), kNow)) ==
            "token signature is invalid: signing method RS384 is invalid"
        );
        CHECK(
            Detail(keys.Verify(SignRaw(R"({"alg":"none","kid":"rsa-a"})", payload, rsa), kNow)) ==
            "token signature is invalid: signing method none is invalid"
        );

        // Tampered payload, header or signature.
        const std::string token = keys.Sign(Json(payload));
        const auto parts = Split(token);
        const std::string forged_payload = crypto::Base64UrlEncode(
            R"({"sub":"c2ba6cb0-1ac5-4e36-8d4c-2a3f4c10d4b1","role":"service_role","exp":)" +
            std::to_string(kNow + 3600) + "}"
        );
        CHECK(
            Detail(keys.Verify(parts[0] + "." + forged_payload + "." + parts[2], kNow)) ==
            "token signature is invalid: crypto/rsa: verification error"
        );
        std::string flipped = crypto::Base64UrlDecode(parts[2]).value();
        flipped[10] = static_cast<char>(flipped[10] ^ 1);
        CHECK(
            Detail(keys.Verify(
                parts[0] + "." + parts[1] + "." + crypto::Base64UrlEncode(flipped), kNow
            )) == "token signature is invalid: crypto/rsa: verification error"
        );
        CHECK(
            Detail(keys.Verify(parts[0] + "." + parts[1] + "." + parts[2].substr(8), kNow)) ==
            "token signature is invalid: crypto/rsa: verification error"
        );
        const std::string ec_token = Load(Array({Jwk("ec-a")})).Sign(Json(payload));
        const auto ec_parts = Split(ec_token);
        CHECK(
            Detail(keys.Verify(ec_parts[0] + "." + forged_payload + "." + ec_parts[2], kNow)) ==
            "token signature is invalid: crypto/ecdsa: verification error"
        );
        CHECK(
            Detail(keys.Verify(ec_parts[0] + "." + ec_parts[1] + ".", kNow)) ==
            "token signature is invalid: crypto/ecdsa: verification error"
        );
    }

    TEST_CASE("HS256 secret tokens next to asymmetric keys need HS256 among the valid methods") {
        const std::string service_role = tokens::SignHs256(
            Json(R"({"role":"service_role","exp":)" + std::to_string(kNow + 60) + "}"), kSecret
        );
        CHECK(
            Detail(Load(Array({Jwk("rsa-a")})).Verify(service_role, kNow)) ==
            "token signature is invalid: signing method HS256 is invalid"
        );
        // GOTRUE_JWT_VALID_METHODS, as the Supabase CLI sets it.
        const auto with_methods = Load(Array({Jwk("rsa-a")}), {"HS256", "RS256", "ES256"});
        CHECK(with_methods.Verify(service_role, kNow).Ok());
        // Or an oct key in the set: its alg joins the valid methods; tokens without kid are
        // still checked with GOTRUE_JWT_SECRET.
        const std::string oct =
            R"({"kty":"oct","kid":"legacy","alg":"HS256","key_ops":["verify"],"k":")" +
            crypto::Base64UrlEncode(kSecret) + R"("})";
        const auto with_oct = Load(Array({Jwk("rsa-a"), oct}));
        CHECK(with_oct.Verify(service_role, kNow).Ok());
        CHECK(with_oct.Verify(tokens::SignHs256(Json(ValidPayload()), kSecret, "legacy"), kNow).Ok()
        );
        CHECK(
            Detail(with_oct.Verify(tokens::SignHs256(Json(ValidPayload()), "other"), kNow)) ==
            "token signature is invalid: signature is invalid"
        );
        // HMAC keyed with the RSA key's kid (the RS256/HS256 confusion attack).
        CHECK(
            Detail(with_oct.Verify(tokens::SignHs256(Json(ValidPayload()), kSecret, "rsa-a"), kNow)
            ) == "token signature is invalid: key is of invalid type: HMAC verify expects []byte"
        );
        // Valid methods without RS256 refuse the keys' own tokens.
        const auto hs_only = Load(Array({Jwk("rsa-a")}), {"HS256"});
        CHECK(
            Detail(hs_only.Verify(hs_only.Sign(Json(ValidPayload())), kNow)) ==
            "token signature is invalid: signing method RS256 is invalid"
        );
        CHECK(
            LoadError(Array({Jwk("rsa-a")}), {"HS256", "RS512"}) ==
            "valid method \"RS512\" is not supported (HS256, RS256, ES256)"
        );
    }

    TEST_CASE("jwks.json lists public parts only, never a symmetric key") {
        const std::string oct =
            R"({"kty":"oct","kid":"hs","alg":"HS256","key_ops":["verify"],"k":"c2VjcmV0"})";
        const auto keys = Load(Array({Jwk("rsa-a"), VerifyOnly("ec-a"), oct}));
        const auto ec = Json(ReadFile(FixturePath("ec-a.jwk.json")));
        const auto rsa = Json(ReadFile(FixturePath("rsa-a.jwk.json")));
        CHECK(
            keys.PublicJwks() ==
            std::string(R"({"keys":[{"alg":"RS256","e":"AQAB","key_ops":["verify"],"kid":"rsa-a",)"
            ) + R"("kty":"RSA","n":")" +
                rsa["n"].GetString() + R"(","use":"sig"},)" +
                R"({"alg":"ES256","crv":"P-256","key_ops":["verify"],"kid":"ec-a","kty":"EC",)" +
                R"("use":"sig","x":")" + ec["x"].GetString() + R"(","y":")" + ec["y"].GetString() +
                R"("}]})"
        );
        CHECK(
            Load(R"([{"kty":"oct","kid":"hs","alg":"HS256","key_ops":["sign"],"k":"c2VjcmV0"}])")
                .PublicJwks() == R"({"keys":[]})"
        );
        CHECK(tokens::KeySet().PublicJwks() == R"({"keys":[]})");
    }

    TEST_CASE("GOTRUE_JWT_KEYS errors name the key and the reason") {
        const auto without = [](const char* member) {
            return Array({Jwk("rsa-a", [member](rapidjson::Document& jwk) {
                jwk.RemoveMember(member);
            })});
        };
        const auto with = [](const std::string& name, const char* member, const char* value) {
            return Array({Jwk(name, [member, value](rapidjson::Document& jwk) {
                jwk[member].SetString(rapidjson::StringRef(value));
            })});
        };
        CHECK(LoadError("{").find("not valid JSON: ") == 0);
        const std::vector<std::pair<std::string, std::string>> refused{
            {Jwk("rsa-a"), "must be a JSON array of JWKs"},
            {"[1]", "keys[0]: not a JSON object"},
            {without("kid"), "keys[0]: missing kid"},
            {without("kty"), "keys[0] (kid \"rsa-a\"): missing kty"},
            {without("alg"), "keys[0] (kid \"rsa-a\"): missing alg"},
            {without("n"), "keys[0] (kid \"rsa-a\"): missing n"},
            {without("e"), "keys[0] (kid \"rsa-a\"): missing e"},
            {without("qi"),
             "keys[0] (kid \"rsa-a\"): missing qi (a private RSA key needs p, q, dp, dq, qi)"},
            {with("rsa-a", "kty", "OKP"),
             "keys[0] (kid \"rsa-a\"): kty \"OKP\" is not supported (RSA, EC, oct)"},
            {with("rsa-a", "alg", "RS512"),
             "keys[0] (kid \"rsa-a\"): alg \"RS512\" is not supported for kty RSA (RS256)"},
            {with("ec-a", "alg", "RS256"),
             "keys[0] (kid \"ec-a\"): alg \"RS256\" is not supported for kty EC (ES256)"},
            {Array({Jwk("ec-p384")}),
             "keys[0] (kid \"ec-p384\"): alg \"ES384\" is not supported for kty EC (ES256)"},
            {with("ec-p384", "alg", "ES256"),
             "keys[0] (kid \"ec-p384\"): crv \"P-384\" is not supported (P-256)"},
            {with("ec-a", "crv", "secp256k1"),
             "keys[0] (kid \"ec-a\"): crv \"secp256k1\" is not supported (P-256)"},
            {with("ec-a", "x", "AAAA"), "keys[0] (kid \"ec-a\"): x must be 32 bytes for P-256"},
            {with("rsa-a", "e", "AQAB="),
             "keys[0] (kid \"rsa-a\"): e is not base64url (RFC 7518: unpadded, URL alphabet)"},
            {Array({Jwk("rsa-small")}),
             "keys[0] (kid \"rsa-small\"): the RSA key has 1024 bits, at least 2048 are needed"},
            {Array({Jwk("rsa-a", [](rapidjson::Document& jwk) { jwk["key_ops"] = 1; })}),
             "keys[0] (kid \"rsa-a\"): key_ops must be an array of strings"},
        };
        for (const auto& entry : refused) {
            CAPTURE(entry.first);  // (a structured binding cannot be captured)
            CHECK(LoadError(entry.first) == entry.second);
        }

        // A public key cannot sign.
        CHECK(
            LoadError(Array({Jwk("ec-a", [](rapidjson::Document& jwk) { jwk.RemoveMember("d"); })})
            ) == "keys[0] (kid \"ec-a\"): key_ops has \"sign\" but the key has no private part (d)"
        );
        // Private members that do not belong to the public ones: OpenSSL's check refuses them.
        const auto other_ec = Json(ReadFile(FixturePath("ec-a.jwk.json")));
        const std::string ec_with_rfc_d = Jwk("ec-a", [](rapidjson::Document& jwk) {
            jwk["d"].SetString("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI");
        });
        CHECK(
            LoadError(Array({ec_with_rfc_d})) ==
            "keys[0] (kid \"ec-a\"): the EC key does not check out (invalid private key)"
        );
        const auto rsa_b = Json(ReadFile(FixturePath("rsa-b.jwk.json")));
        const std::string rsa_with_other_d = Jwk("rsa-a", [&rsa_b](rapidjson::Document& jwk) {
            jwk["d"].SetString(rsa_b["d"].GetString(), jwk.GetAllocator());
        });
        CHECK(
            LoadError(Array({rsa_with_other_d})) ==
            "keys[0] (kid \"rsa-a\"): the RSA key does not check out (dmq1 not congruent to d)"
        );
        // A point that is not on the curve.
        CHECK(
            LoadError(Array(
                {Jwk("ec-a",
                     [&other_ec](rapidjson::Document& jwk) {
                         jwk.RemoveMember("d");
                         jwk["key_ops"].SetArray();
                         jwk["y"].SetString(other_ec["x"].GetString(), jwk.GetAllocator());
                     }),
                 Jwk("rsa-a")}
            )) == "keys[0] (kid \"ec-a\"): OpenSSL refuses the EC key: point is not on curve"
        );

        // The set as a whole.
        CHECK(
            LoadError(Array({Jwk("rsa-a"), Jwk("rsa-a")})) ==
            "keys[1] (kid \"rsa-a\"): kid is used twice"
        );
        CHECK(
            LoadError(Array({VerifyOnly("rsa-a")})) ==
            "no signing key detected (one key needs \"sign\" in its key_ops)"
        );
        CHECK(
            LoadError(Array({Jwk("rsa-a"), Jwk("ec-a")})) ==
            "multiple signing keys detected, only 1 signing key is supported"
        );
        CHECK(
            LoadError(R"([{"kty":"oct","kid":"hs","alg":"HS256","key_ops":["sign"]}])") ==
            "keys[0] (kid \"hs\"): missing k"
        );
        CHECK(LoadError(Array({Jwk("rsa-a"), VerifyOnly("rsa-b", true)})) == "<loaded>");
    }

    TEST_CASE("one key set signs and verifies from many threads at once") {
        // Handler threads share the set's EVP_PKEYs; under `make test-sanitize` TSan checks this.
        const auto keys = Load(Array({Jwk("ec-a"), VerifyOnly("rsa-a")}));
        const std::string rsa_token = Load(Array({Jwk("rsa-a")})).Sign(Json(ValidPayload()));
        std::atomic<int> verified{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&keys, &rsa_token, &verified] {
                const auto claims = Json(ValidPayload());
                for (int i = 0; i < 25; ++i) {
                    verified += keys.Verify(keys.Sign(claims), kNow).Ok() ? 1 : 0;
                    verified += keys.Verify(rsa_token, kNow).Ok() ? 1 : 0;
                }
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
        CHECK(verified == 8 * 25 * 2);
    }

    TEST_CASE("an empty key set signs nothing and verifies nothing") {
        const tokens::KeySet empty;
        CHECK_THROWS_AS(static_cast<void>(empty.Sign(Json(ValidPayload()))), std::logic_error);
        CHECK(
            Detail(empty.Verify(tokens::SignHs256(Json(ValidPayload()), kSecret), kNow)) ==
            "token signature is invalid: signing method HS256 is invalid"
        );
        CHECK(empty.SigningAlgorithm().empty());
        CHECK(empty == tokens::KeySet());
        CHECK_FALSE(Load(Array({Jwk("rsa-a")})) == Load(Array({Jwk("rsa-b")})));
        CHECK(Load(Array({Jwk("rsa-a")})) == Load(Array({Jwk("rsa-a")})));
    }
}
