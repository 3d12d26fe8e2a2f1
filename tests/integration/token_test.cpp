// POST /token through the real binary (GoTrue's internal/api/token.go and token_refresh.go).

#include <string>

#include <doctest/doctest.h>

#include "support/auth_server.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::JsonString;
using gotrue::testing::UniqueEmail;

namespace {

std::string Credentials(const std::string& email, const std::string& password) {
    return R"({"email":")" + email + R"(","password":")" + password + "\"}";
}

std::string Refresh(const std::string& token) {
    return R"({"refresh_token":")" + token + "\"}";
}

}  // namespace

TEST_SUITE("token") {
    TEST_CASE("password grant rows") {
        AuthServer server;
        const std::string email = UniqueEmail("login");
        server.SignUpConfirmed(email);
        const auto both = server.Post(
            "/token?grant_type=password", R"({"email":"a@example.com","phone":"1","password":"x"})"
        );
        CHECK(
            JsonString(both.body, "msg") ==
            "Only an email address or phone number should be provided on login."
        );
        const auto neither = server.Post("/token?grant_type=password", R"({"password":"x"})");
        CHECK(JsonString(neither.body, "msg") == "missing email or phone");
        const auto unknown = server.Post(
            "/token?grant_type=password", Credentials(UniqueEmail("nobody"), "secret-123")
        );
        const auto wrong =
            server.Post("/token?grant_type=password", Credentials(email, "wrong-password"));
        for (const auto* response : {&unknown, &wrong}) {
            CHECK(response->status == 400);
            CHECK(JsonString(response->body, "error_code") == "invalid_credentials");
            CHECK(JsonString(response->body, "msg") == "Invalid login credentials");
        }
        const auto ok = server.SignIn(email);
        CHECK(JsonString(ok.body, "token_type") == "bearer");
        CHECK_FALSE(JsonString(ok.body, "refresh_token").empty());
        CHECK(ok.body.find("\"expires_in\":3600") != std::string::npos);
        CHECK(ok.body.find("\"last_sign_in_at\"") != std::string::npos);
        CHECK(
            server.Database().Scalar(
                "SELECT count(*) FROM auth.audit_log_entries WHERE payload->>'action' = 'login'"
            ) == "1"
        );

        const auto unsupported = server.Post("/token?grant_type=magic", "{}");
        CHECK(unsupported.status == 400);
        CHECK(JsonString(unsupported.body, "error_code") == "invalid_credentials");
        CHECK(JsonString(unsupported.body, "msg") == "unsupported_grant_type");
    }

    TEST_CASE("email_not_confirmed only after a correct password") {
        AuthServer server;
        const std::string email = UniqueEmail("unconfirmed");
        REQUIRE(server.Post("/signup", Credentials(email, "secret-123")).status == 200);
        const auto wrong =
            server.Post("/token?grant_type=password", Credentials(email, "wrong-password"));
        CHECK(JsonString(wrong.body, "error_code") == "invalid_credentials");
        const auto right =
            server.Post("/token?grant_type=password", Credentials(email, "secret-123"));
        CHECK(right.status == 400);
        CHECK(JsonString(right.body, "error_code") == "email_not_confirmed");
        CHECK(JsonString(right.body, "msg") == "Email not confirmed");
    }

    TEST_CASE("a banned user cannot sign in") {
        AuthServer server;
        const std::string email = UniqueEmail("ban");
        server.SignUpConfirmed(email);
        server.Database().Execute("UPDATE auth.users SET banned_until = now() + interval '1 hour'");
        const auto response =
            server.Post("/token?grant_type=password", Credentials(email, "secret-123"));
        CHECK(response.status == 400);
        CHECK(JsonString(response.body, "error_code") == "user_banned");
    }

    TEST_CASE("refresh: rotation, lost-response recovery, reuse revokes the family") {
        AuthServer server;
        const std::string email = UniqueEmail("refresh");
        server.SignUpConfirmed(email);
        const std::string first = JsonString(server.SignIn(email).body, "refresh_token");
        REQUIRE(first.size() == 12);

        for (const char* bad : {"", "short", "ABCDEFGHIJKL", "abc-def-ghij"}) {
            CAPTURE(bad);
            const auto invalid = server.Post("/token?grant_type=refresh_token", Refresh(bad));
            CHECK(invalid.status == 400);
            CHECK(JsonString(invalid.body, "msg") == "Refresh token is not valid");
        }
        const auto missing =
            server.Post("/token?grant_type=refresh_token", Refresh("abcdefghijkl"));
        CHECK(JsonString(missing.body, "error_code") == "refresh_token_not_found");

        const auto rotated = server.Post("/token?grant_type=refresh_token", Refresh(first));
        REQUIRE(rotated.status == 200);
        const std::string second = JsonString(rotated.body, "refresh_token");
        CHECK(second != first);
        // The response was lost: the old token gets the same child again.
        const auto replay = server.Post("/token?grant_type=refresh_token", Refresh(first));
        REQUIRE(replay.status == 200);
        CHECK(JsonString(replay.body, "refresh_token") == second);

        const auto third = server.Post("/token?grant_type=refresh_token", Refresh(second));
        REQUIRE(third.status == 200);
        // Now the first token is two generations old: reuse revokes everything of the session.
        const auto reuse = server.Post("/token?grant_type=refresh_token", Refresh(first));
        CHECK(reuse.status == 400);
        CHECK(JsonString(reuse.body, "error_code") == "refresh_token_already_used");
        CHECK(JsonString(reuse.body, "msg") == "Invalid Refresh Token: Already Used");
        const auto latest = server.Post(
            "/token?grant_type=refresh_token", Refresh(JsonString(third.body, "refresh_token"))
        );
        CHECK(latest.status == 400);
        CHECK(JsonString(latest.body, "error_code") == "refresh_token_already_used");
        CHECK(
            server.Database().Scalar(
                "SELECT count(*) FROM auth.refresh_tokens WHERE revoked = false AND session_id = "
                "(SELECT session_id FROM auth.refresh_tokens WHERE token = '" +
                first + "')"
            ) == "0"
        );
    }

    TEST_CASE("refresh after the session is gone or expired") {
        AuthServer server;
        const std::string email = UniqueEmail("session");
        server.SignUpConfirmed(email);
        const std::string token = JsonString(server.SignIn(email).body, "refresh_token");
        server.Database().Execute("UPDATE auth.sessions SET not_after = now() - interval '1 minute'"
        );
        const auto expired = server.Post("/token?grant_type=refresh_token", Refresh(token));
        CHECK(expired.status == 400);
        CHECK(JsonString(expired.body, "error_code") == "session_expired");
        server.Database().Execute("DELETE FROM auth.sessions");
        const auto gone = server.Post("/token?grant_type=refresh_token", Refresh(token));
        CHECK(gone.status == 400);
        CHECK(JsonString(gone.body, "error_code") == "refresh_token_not_found");  // cascaded away
    }
}
