// Signing keys through the real binary: GOTRUE_JWT_KEYS, the kid and alg of issued tokens,
// GET /.well-known/jwks.json, rotation, and keys that stop startup (supabase/auth
// internal/conf/jwk.go, internal/api/jwks.go, internal/api/auth.go).

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/crypto.hpp"
#include "support/auth_server.hpp"
#include "tokens/jwt.hpp"
#include "tokens/keys.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::Bearer;
using gotrue::testing::JsonString;
using gotrue::testing::MailMode;
using gotrue::testing::ServiceRoleToken;
using gotrue::testing::UniqueEmail;

namespace {

constexpr std::string_view kBadJwtPrefix = "invalid JWT: unable to parse or verify signature, ";

// tests/fixtures/jwt_keys/<name>.jwk.json: a private JWK with key_ops ["sign","verify"].
std::string Jwk(const std::string& name) {
    std::ifstream in(
        std::string(GOTRUE_SOURCE_DIR) + "/tests/fixtures/jwt_keys/" + name + ".jwk.json"
    );
    REQUIRE(in.good());
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    while (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    return text;
}

// The fixture changed: key_ops ["verify"], and without its private members when public_only.
std::string VerifyOnly(const std::string& name, bool public_only = false) {
    rapidjson::Document jwk;
    jwk.Parse(Jwk(name).c_str());
    jwk["key_ops"].SetArray().PushBack("verify", jwk.GetAllocator());
    if (public_only) {
        for (const char* member : {"d", "p", "q", "dp", "dq", "qi"}) {
            jwk.RemoveMember(member);
        }
    }
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    jwk.Accept(writer);
    return buffer.GetString();
}

std::string Array(const std::vector<std::string>& jwks) {
    std::string text = "[";
    for (const auto& jwk : jwks) {
        text += (text.size() > 1 ? "," : "") + jwk;
    }
    return text + "]";
}

std::string HeaderOf(const std::string& token) {
    return gotrue::crypto::Base64UrlDecode(token.substr(0, token.find('.'))).value_or("<bad>");
}

long long Now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch()
    )
        .count();
}

// A session of a new user (autoconfirm: /signup answers with one).
std::string SignUp(const AuthServer& server) {
    const auto response = server.Post(
        "/signup", R"({"email":")" + UniqueEmail("keys") + R"(","password":"secret-123"})"
    );
    REQUIRE_MESSAGE(response.status == 200, response.body);
    return response.body;
}

// A string field of the session's user.
std::string UserField(const std::string& session, const char* key) {
    rapidjson::Document document;
    document.Parse(session.c_str());
    REQUIRE(document.IsObject());
    REQUIRE(document.HasMember("user"));
    return document["user"][key].GetString();
}

std::string RefreshTokenGrant(const AuthServer& server, const std::string& session) {
    const auto response = server.Post(
        "/token?grant_type=refresh_token",
        R"({"refresh_token":")" + JsonString(session, "refresh_token") + "\"}"
    );
    REQUIRE_MESSAGE(response.status == 200, response.body);
    return JsonString(response.body, "access_token");
}

gotrue::testing::EnvMap Keys(const std::string& keys) {
    return {{"GOTRUE_MAILER_AUTOCONFIRM", "true"}, {"GOTRUE_JWT_KEYS", keys}};
}

// A token the server never issued, signed by `keys` (another key set than the server's).
std::string Forge(const std::string& keys, const std::string& sub) {
    gotrue::tokens::KeySetOptions options;
    options.keys = keys;
    rapidjson::Document claims;
    claims.Parse((R"({"sub":")" + sub + R"(","role":"authenticated","exp":)" +
                  std::to_string(Now() + 600) + "}")
                     .c_str());
    return gotrue::tokens::KeySet::Load(options).Sign(claims);
}

}  // namespace

TEST_SUITE("signing keys") {
    TEST_CASE("RS256 and ES256 keys sign every access token with their kid, GET /user accepts it") {
        for (const std::string name : {"rsa-a", "ec-a"}) {
            CAPTURE(name);
            const std::string alg = name == "rsa-a" ? "RS256" : "ES256";
            const std::string other = name == "rsa-a" ? "ec-a" : "rsa-a";
            const AuthServer server(MailMode::kSync, Keys(Array({Jwk(name), VerifyOnly(other)})));
            const std::string session = SignUp(server);
            const std::string access = JsonString(session, "access_token");
            std::string header = R"({"alg":")";
            header += alg + R"(","kid":")";
            header += name + R"(","typ":"JWT"})";
            CHECK(HeaderOf(access) == header);

            // The public key alone verifies it, as a client holding jwks.json would.
            gotrue::tokens::KeySetOptions public_only;
            public_only.keys = Array({VerifyOnly(name, true), Jwk(other)});
            const auto verified = gotrue::tokens::KeySet::Load(public_only).Verify(access, Now());
            CHECK_MESSAGE(verified.Ok(), (verified.Ok() ? "" : verified.Error().detail));

            const auto user = server.Get("/user", {Bearer(access)});
            CHECK_MESSAGE(user.status == 200, user.body);
            CHECK(JsonString(user.body, "id") == UserField(session, "id"));

            const std::string refreshed = RefreshTokenGrant(server, session);
            CHECK(HeaderOf(refreshed) == header);
            CHECK(server.Get("/user", {Bearer(refreshed)}).status == 200);
            const auto signed_in = server.SignIn(UserField(session, "email"));
            CHECK(HeaderOf(JsonString(signed_in.body, "access_token")) == header);
        }
    }

    TEST_CASE("jwks.json lists the public keys with GoTrue's Cache-Control") {
        const std::string oct =
            R"({"kty":"oct","kid":"legacy","alg":"HS256","key_ops":["verify"],"k":"c2VjcmV0"})";
        const AuthServer server(
            MailMode::kSync, Keys(Array({Jwk("ec-a"), VerifyOnly("rsa-a", true), oct}))
        );
        const auto response = server.Get("/.well-known/jwks.json");
        REQUIRE(response.status == 200);
        CHECK(response.headers.at("cache-control") == "public, max-age=600");
        CHECK(response.headers.at("content-type") == "application/json");
        rapidjson::Document jwks;
        jwks.Parse(response.body.c_str());
        REQUIRE(jwks.IsObject());
        REQUIRE(jwks["keys"].Size() == 2);
        rapidjson::Document ec;
        ec.Parse(Jwk("ec-a").c_str());
        const auto& first = jwks["keys"][0];
        CHECK(first["kid"] == "ec-a");
        CHECK(first["kty"] == "EC");
        CHECK(first["alg"] == "ES256");
        CHECK(first["crv"] == "P-256");
        CHECK(first["x"] == ec["x"]);
        CHECK(first["y"] == ec["y"]);
        CHECK(first["use"] == "sig");
        CHECK(first["key_ops"].Size() == 1);
        CHECK(first["key_ops"][0] == "verify");
        CHECK(jwks["keys"][1]["kid"] == "rsa-a");
        CHECK(jwks["keys"][1]["e"] == "AQAB");
        // Never a private member, never the symmetric key.
        for (const char* secret : {"\"d\"", "\"p\"", "\"q\"", "\"k\"", "legacy", "c2VjcmV0"}) {
            CAPTURE(secret);
            CHECK(response.body.find(secret) == std::string::npos);
        }

        // Without keys there is nothing to publish.
        const AuthServer plain;
        const auto empty = plain.Get("/.well-known/jwks.json");
        CHECK(empty.status == 200);
        CHECK(empty.body == R"({"keys":[]})");
        CHECK(empty.headers.at("cache-control") == "public, max-age=600");
    }

    TEST_CASE("a rotated-out key keeps verifying while it is listed") {
        const AuthServer first(MailMode::kSync, Keys(Array({Jwk("rsa-a")})));
        const std::string session = SignUp(first);
        const std::string old_token = JsonString(session, "access_token");
        CHECK(HeaderOf(old_token).find(R"("kid":"rsa-a")") != std::string::npos);

        // The next instance signs with rsa-b and keeps rsa-a's public part for its tokens.
        auto env = first.Env();
        env["PORT"] = std::to_string(gotrue::testing::FreePort());
        env["GOTRUE_JWT_KEYS"] = Array({VerifyOnly("rsa-a", true), Jwk("rsa-b")});
        gotrue::testing::GotrueProcess rotated({"serve"}, env);
        REQUIRE(rotated.WaitReady());
        CHECK(gotrue::testing::Get(rotated.Url() + "/user", {Bearer(old_token)}).status == 200);
        const auto refreshed = gotrue::testing::Post(
            rotated.Url() + "/token?grant_type=refresh_token",
            R"({"refresh_token":")" + JsonString(session, "refresh_token") + "\"}"
        );
        REQUIRE(refreshed.status == 200);
        CHECK(
            HeaderOf(JsonString(refreshed.body, "access_token")).find(R"("kid":"rsa-b")") !=
            std::string::npos
        );
        const auto jwks = gotrue::testing::Get(rotated.Url() + "/.well-known/jwks.json");
        CHECK(jwks.body.find(R"("kid":"rsa-a")") != std::string::npos);
        CHECK(jwks.body.find(R"("kid":"rsa-b")") != std::string::npos);

        // Once rsa-a is dropped, its tokens are refused.
        env["PORT"] = std::to_string(gotrue::testing::FreePort());
        env["GOTRUE_JWT_KEYS"] = Array({Jwk("rsa-b")});
        gotrue::testing::GotrueProcess retired({"serve"}, env);
        REQUIRE(retired.WaitReady());
        const auto refused = gotrue::testing::Get(retired.Url() + "/user", {Bearer(old_token)});
        CHECK(refused.status == 403);
        CHECK(JsonString(refused.body, "error_code") == "bad_jwt");
        CHECK(
            JsonString(refused.body, "msg") ==
            std::string(kBadJwtPrefix) +
                "token is unverifiable: error while executing keyfunc: invalid kid: rsa-a"
        );
    }

    TEST_CASE("unknown kid, alg that does not fit the key and other keys are 403 bad_jwt") {
        const AuthServer server(MailMode::kSync, Keys(Array({Jwk("rsa-a"), VerifyOnly("ec-a")})));
        const std::string session = SignUp(server);
        const std::string sub = UserField(session, "id");
        REQUIRE_FALSE(sub.empty());
        // ec-a's key under rsa-a's kid: ES256 against an RSA key.
        rapidjson::Document disguised;
        disguised.Parse(Jwk("ec-a").c_str());
        disguised["kid"] = "rsa-a";
        rapidjson::StringBuffer buffer;
        rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
        disguised.Accept(writer);
        const std::string genuine = JsonString(session, "access_token");
        const std::string tampered = genuine.substr(0, genuine.find('.') + 1) +
                                     gotrue::crypto::Base64UrlEncode(
                                         R"({"sub":")" + sub + R"(","role":"service_role","exp":)" +
                                         std::to_string(Now() + 600) + "}"
                                     ) +
                                     genuine.substr(genuine.rfind('.'));
        const std::vector<std::pair<std::string, std::string>> cases{
            {Forge(Array({Jwk("rsa-b")}), sub),
             "token is unverifiable: error while executing keyfunc: invalid kid: rsa-b"},
            {Forge(Array({buffer.GetString()}), sub),
             "token signature is invalid: key is of invalid type: ECDSA verify expects "
             "*ecdsa.PublicKey"},
            {tampered, "token signature is invalid: crypto/rsa: verification error"},
            {ServiceRoleToken(server),
             "token signature is invalid: signing method HS256 is invalid"},
        };
        for (const auto& entry : cases) {
            const std::string& token = entry.first;
            const std::string& detail = entry.second;
            CAPTURE(detail);
            const auto response = server.Get("/user", {Bearer(token)});
            CHECK(response.status == 403);
            CHECK(JsonString(response.body, "error_code") == "bad_jwt");
            CHECK(JsonString(response.body, "msg") == std::string(kBadJwtPrefix) + detail);
        }
        CHECK(server.Get("/admin/users", {Bearer(ServiceRoleToken(server))}).status == 403);
    }

    TEST_CASE("secret-signed admin tokens work next to keys when HS256 is a valid method") {
        auto env = Keys(Array({Jwk("ec-a")}));
        env["GOTRUE_JWT_VALID_METHODS"] = "HS256,RS256,ES256";  // as the Supabase CLI sets it
        const AuthServer server(MailMode::kSync, env);
        CHECK(server.Get("/admin/users", {Bearer(ServiceRoleToken(server))}).status == 200);
        const std::string session = SignUp(server);
        CHECK(HeaderOf(JsonString(session, "access_token")).find("ES256") != std::string::npos);
        CHECK(server.Get("/user", {Bearer(JsonString(session, "access_token"))}).status == 200);
    }

    TEST_CASE("a key that does not load stops startup with one line naming GOTRUE_JWT_KEYS") {
        const std::vector<std::pair<std::string, std::string>> cases{
            {Array({VerifyOnly("ec-a", true)
                        .replace(VerifyOnly("ec-a", true).find(R"(["verify"])"), 10, R"(["sign"])")}
             ),
             "keys[0] (kid \"ec-a\"): key_ops has \"sign\" but the key has no private part (d)"},
            {Array({Jwk("ec-p384")}),
             "keys[0] (kid \"ec-p384\"): alg \"ES384\" is not supported for kty EC (ES256)"},
            {Array({Jwk("rsa-a"), Jwk("rsa-b")}),
             "multiple signing keys detected, only 1 signing key is supported"},
            {"{\"kty\":\"RSA\"}", "must be a JSON array of JWKs"},
        };
        for (const auto& entry : cases) {
            const std::string& keys = entry.first;
            const std::string& reason = entry.second;
            CAPTURE(reason);
            auto env =
                gotrue::testing::BaseEnvironment("postgres://unused", gotrue::testing::FreePort());
            env["GOTRUE_JWT_KEYS"] = keys;
            const auto result = gotrue::testing::RunGotrue({"serve"}, env);
            CHECK(result.exit_code == 1);
            CHECK(
                result.output == "gotrue: configuration error: GOTRUE_JWT_KEYS: " + reason + "\n"
            );
        }
    }
}
