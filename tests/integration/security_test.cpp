// Hostile input through the real binary: forged tokens, SQL metacharacters, 1 MiB fields,
// wrong JSON types. Bad input gets a clear 4xx and changes nothing; nothing is a 500.

#include <chrono>
#include <string>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "crypto/crypto.hpp"
#include "support/auth_server.hpp"
#include "tokens/jwt.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::Bearer;
using gotrue::testing::JsonString;
using gotrue::testing::UniqueEmail;

namespace {

long long Now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch()
    )
        .count();
}

// An HS256 token with the server's secret and the given claims JSON.
std::string Sign(const AuthServer& server, const std::string& claims_json) {
    rapidjson::Document claims;
    claims.Parse(claims_json.c_str());
    return gotrue::tokens::SignHs256(claims, server.Env().at("GOTRUE_JWT_SECRET"));
}

}  // namespace

TEST_SUITE("security") {
    TEST_CASE("forged, tampered, unsigned, expired and orphaned tokens are refused") {
        AuthServer server;
        const std::string email = UniqueEmail("jwt");
        const std::string user_id = server.SignUpConfirmed(email);
        const std::string token = JsonString(server.SignIn(email).body, "access_token");
        REQUIRE(server.Get("/user", {Bearer(token)}).status == 200);

        // Tampered payload: another subject with the original signature.
        const auto dot1 = token.find('.');
        const auto dot2 = token.find('.', dot1 + 1);
        const std::string forged_payload = gotrue::crypto::Base64UrlEncode(
            R"({"sub":"00000000-0000-0000-0000-000000000001","exp":)" +
            std::to_string(Now() + 3600) + "}"
        );
        const std::string tampered =
            token.substr(0, dot1 + 1) + forged_payload + token.substr(dot2);
        const auto forged = server.Get("/user", {Bearer(tampered)});
        CHECK(forged.status == 403);
        CHECK(JsonString(forged.body, "error_code") == "bad_jwt");

        // alg: none.
        const std::string none = gotrue::crypto::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") +
                                 "." + token.substr(dot1 + 1, dot2 - dot1 - 1) + ".";
        const auto unsigned_token = server.Get("/user", {Bearer(none)});
        CHECK(unsigned_token.status == 403);
        CHECK(JsonString(unsigned_token.body, "error_code") == "bad_jwt");
        CHECK(
            JsonString(unsigned_token.body, "msg").find("signing method none is invalid") !=
            std::string::npos
        );

        // Signed with the right key but expired.
        const auto expired = server.Get(
            "/user",
            {Bearer(Sign(
                server, R"({"sub":")" + user_id + R"(","exp":)" + std::to_string(Now() - 10) + "}"
            ))}
        );
        CHECK(expired.status == 403);
        CHECK(JsonString(expired.body, "msg").find("token is expired") != std::string::npos);

        // Signed with another key.
        rapidjson::Document claims;
        claims.Parse(
            (R"({"sub":")" + user_id + R"(","exp":)" + std::to_string(Now() + 60) + "}").c_str()
        );
        const auto other_key =
            server.Get("/user", {Bearer(gotrue::tokens::SignHs256(claims, "another-secret"))});
        CHECK(other_key.status == 403);

        // Well signed, but the sub is not a UUID / the user is gone.
        const auto not_uuid = server.Get(
            "/user",
            {Bearer(Sign(
                server, R"({"sub":"1; DROP TABLE users","exp":)" + std::to_string(Now() + 60) + "}"
            ))}
        );
        CHECK(not_uuid.status == 400);
        CHECK(JsonString(not_uuid.body, "error_code") == "bad_jwt");
        server.Database().Execute("DELETE FROM auth.users");
        const auto deleted = server.Get("/user", {Bearer(token)});
        CHECK(deleted.status == 403);
        CHECK(JsonString(deleted.body, "error_code") == "user_not_found");

        CHECK(server.Get("/user", {Bearer("garbage")}).status == 403);
        CHECK(server.Get("/user", {Bearer(std::string(20000, 'a'))}).status == 403);
    }

    TEST_CASE("SQL metacharacters are data, never SQL") {
        AuthServer server(
            gotrue::testing::MailMode::kSync, {{"GOTRUE_MAILER_AUTOCONFIRM", "true"}}
        );
        const auto injection = server.Post(
            "/signup",
            R"({"email":"x'); DROP TABLE auth.users; --@example.com","password":"secret-123"})"
        );
        CHECK(injection.status == 400);
        const std::string email = UniqueEmail("o'brien");
        const std::string password = R"(p'a\"ss; --)";
        const auto signup = server.Post(
            "/signup",
            R"({"email":")" + email +
                R"(","password":"p'a\\\"ss; --","data":{"name":"Robert'); DROP TABLE users;--"}})"
        );
        REQUIRE_MESSAGE(signup.status == 200, signup.body);
        CHECK(signup.body.find(R"(Robert'); DROP TABLE users;--)") != std::string::npos);
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.users") == "1");
        const auto login = server.Post(
            "/token?grant_type=password",
            R"({"email":")" + email + R"(","password":"p'a\\\"ss; --"})"
        );
        CHECK(login.status == 200);
        static_cast<void>(password);
        const auto probe = server.Post(
            "/token?grant_type=password", R"({"email":"' OR '1'='1","password":"' OR '1'='1"})"
        );
        CHECK(probe.status == 400);
        CHECK(JsonString(probe.body, "error_code") == "invalid_credentials");
    }

    TEST_CASE("1 MiB strings in every field get a 4xx, never a 500") {
        AuthServer server;
        const std::string huge(1000000, 'a');
        const std::vector<std::pair<std::string, std::string>> requests{
            {"/signup", R"({"email":")" + huge + R"(@example.com","password":"secret-123"})"},
            {"/signup", R"({"email":"a@example.com","password":")" + huge + "\"}"},
            {"/signup",
             R"({"email":"a@example.com","password":"secret-123","data":{"k":")" + huge + "\"}}"},
            {"/token?grant_type=password", R"({"email":")" + huge + R"(","password":"x"})"},
            {"/token?grant_type=refresh_token", R"({"refresh_token":")" + huge + "\"}"},
            {"/verify", R"({"type":"signup","token_hash":")" + huge + "\"}"},
            {"/verify", R"({"type":")" + huge + R"(","token_hash":"x"})"},
        };
        // Not a structured binding: CAPTURE's lambda cannot capture one under clang 14 (lint).
        for (const auto& request : requests) {
            const std::string& path = request.first;
            CAPTURE(path);
            const auto response = server.Post(path, request.second);
            CHECK(response.status >= 200);
            CHECK(response.status < 500);
        }
        // A 1 MB request line or header is over the 32 KiB head limit (request_framer.hpp).
        CHECK(server.Get("/verify?type=signup&token=" + huge).status == 431);
        const auto huge_bearer = server.Get("/user", {Bearer(huge)});
        CHECK(huge_bearer.status == 431);
        CHECK(JsonString(huge_bearer.body, "error_code") == "validation_failed");
        CHECK(server.Get("/user", {Bearer(std::string(20000, 'a'))}).status == 403);
    }

    TEST_CASE("unknown fields are ignored, wrong JSON types are 400 bad_json") {
        AuthServer server;
        const auto extra = server.Post(
            "/signup",
            R"({"email":")" + UniqueEmail("extra") +
                R"(","password":"secret-123","favourite":"blue","nested":{"x":[1,2]}})"
        );
        CHECK(extra.status == 200);
        const std::vector<std::pair<std::string, std::string>> requests{
            {"/signup", R"({"email":123,"password":"secret-123"})"},
            {"/signup", R"({"email":"a@example.com","password":true})"},
            {"/signup",
             R"({"email":"a@example.com","password":"secret-123","data":"not an object"})"},
            {"/signup", R"(["an","array"])"},
            {"/signup", R"({"email":"a@example.com",)"},
            {"/signup", ""},
            {"/signup", "\xff\xfe not utf-8"},
            {"/token?grant_type=password", R"({"email":["a"],"password":"x"})"},
            {"/token?grant_type=refresh_token", R"({"refresh_token":12})"},
            {"/verify", R"({"type":1,"token_hash":"x"})"},
        };
        for (const auto& request : requests) {  // no structured binding, as above
            const std::string& path = request.first;
            const std::string& body = request.second;
            CAPTURE(path);
            CAPTURE(body);
            const auto response = server.Post(path, body);
            CHECK(response.status == 400);
            CHECK(JsonString(response.body, "error_code") == "bad_json");
        }
        const std::string email = UniqueEmail("types");
        server.SignUpConfirmed(email);
        const std::string token = JsonString(server.SignIn(email).body, "access_token");
        const auto put = server.Put("/user", R"({"data":[1,2,3]})", {Bearer(token)});
        CHECK(put.status == 400);
        CHECK(JsonString(put.body, "error_code") == "bad_json");
    }
}
