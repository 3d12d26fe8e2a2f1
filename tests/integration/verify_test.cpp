// POST and GET /verify through the real binary (GoTrue's internal/api/verify.go).

#include <string>

#include <doctest/doctest.h>

#include "support/auth_server.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::JsonString;
using gotrue::testing::SharedMaildir;
using gotrue::testing::UniqueEmail;
using gotrue::testing::UrlParam;
using gotrue::testing::WaitForMail;

namespace {

struct PendingSignup {
    std::string email;
    std::string link;
    std::string code;
    std::string token_hash;
};

PendingSignup SignUp(const AuthServer& server, const std::string& tag) {
    PendingSignup pending;
    pending.email = UniqueEmail(tag);
    const auto response =
        server.Post("/signup", R"({"email":")" + pending.email + R"(","password":"secret-123"})");
    REQUIRE_MESSAGE(response.status == 200, response.body);
    const auto mails = WaitForMail(SharedMaildir(), pending.email);
    REQUIRE(mails.size() == 1);
    pending.link = gotrue::testing::LinkIn(mails.front());
    pending.code = gotrue::testing::CodeIn(mails.front());
    pending.token_hash = UrlParam(pending.link, "token");
    return pending;
}

}  // namespace

TEST_SUITE("verify") {
    TEST_CASE("parameter validation rows") {
        AuthServer server;
        const auto no_type =
            server.Post("/verify", R"({"token":"123456","email":"a@example.com"})");
        CHECK(no_type.status == 400);
        CHECK(JsonString(no_type.body, "msg") == "Verify requires a verification type");
        const auto both =
            server.Post("/verify", R"({"type":"signup","token":"1","token_hash":"2"})");
        CHECK(JsonString(both.body, "msg") == "Verify requires either a token or a token hash");
        const auto neither = server.Post("/verify", R"({"type":"signup"})");
        CHECK(JsonString(neither.body, "msg") == "Verify requires either a token or a token hash");
        const auto token_alone = server.Post("/verify", R"({"type":"signup","token":"123456"})");
        CHECK(
            JsonString(token_alone.body, "msg") ==
            "Only an email address or phone number should be provided on verify"
        );
        const auto hash_plus = server.Post(
            "/verify", R"({"type":"signup","token_hash":"abc","email":"a@example.com"})"
        );
        CHECK(
            JsonString(hash_plus.body, "msg") == "Only the token_hash and type should be provided"
        );
        const auto bad_email =
            server.Post("/verify", R"({"type":"signup","token":"123456","email":"nope"})");
        CHECK(bad_email.status == 422);
        CHECK(JsonString(bad_email.body, "msg") == "Invalid email format");
        const auto get_no_token = server.Get("/verify?type=signup");
        CHECK(get_no_token.status == 400);  // JSON even for GET
        CHECK(JsonString(get_no_token.body, "msg") == "Verify requires a token or a token hash");
        const auto unknown_type = server.Post("/verify", R"({"type":"bogus","token_hash":"abc"})");
        CHECK(unknown_type.status == 400);
    }

    TEST_CASE("the code from the mail and the token_hash both verify with POST") {
        AuthServer server;
        const auto by_code = SignUp(server, "code");
        const auto wrong = server.Post(
            "/verify", R"({"type":"signup","email":")" + by_code.email + R"(","token":"000000"})"
        );
        CHECK(wrong.status == 403);
        CHECK(JsonString(wrong.body, "error_code") == "otp_expired");
        CHECK(JsonString(wrong.body, "msg") == "Token has expired or is invalid");
        const auto ok = server.Post(
            "/verify",
            R"({"type":"signup","email":")" + by_code.email + R"(","token":")" + by_code.code +
                "\"}"
        );
        REQUIRE_MESSAGE(ok.status == 200, ok.body);
        CHECK_FALSE(JsonString(ok.body, "access_token").empty());
        CHECK(ok.body.find("\"email_confirmed_at\"") != std::string::npos);

        const auto by_hash = SignUp(server, "hash");
        const auto hashed = server.Post(
            "/verify", R"({"type":"email","token_hash":")" + by_hash.token_hash + "\"}"
        );
        REQUIRE_MESSAGE(hashed.status == 200, hashed.body);
        const auto reused = server.Post(
            "/verify", R"({"type":"email","token_hash":")" + by_hash.token_hash + "\"}"
        );
        CHECK(reused.status == 403);
        CHECK(JsonString(reused.body, "msg") == "Email link is invalid or has expired");
    }

    TEST_CASE("an expired link redirects with otp_expired in the fragment") {
        AuthServer server;
        const auto pending = SignUp(server, "expired");
        server.Database().Execute(
            "UPDATE auth.users SET confirmation_sent_at = now() - interval '48 hours'"
        );
        const auto response = gotrue::testing::Send({"GET", pending.link, "", {}});
        REQUIRE(response.status == 303);
        const std::string location = response.headers.at("location");
        CHECK(location.rfind("http://localhost:3000#", 0) == 0);
        CHECK(UrlParam(location, "error") == "access_denied");
        CHECK(UrlParam(location, "error_code") == "otp_expired");
        CHECK(UrlParam(location, "error_description") == "Email link is invalid or has expired");
        CHECK(location.find("&sb=") != std::string::npos);
    }

    TEST_CASE("redirect_to: allowed targets are used, others fall back to the site URL") {
        AuthServer server;
        const auto allowed = SignUp(server, "redirect-ok");
        const std::string link = allowed.link.substr(0, allowed.link.find("&redirect_to=")) +
                                 "&redirect_to=http://allowed.example/welcome";
        const auto to_allowed = gotrue::testing::Send({"GET", link, "", {}});
        REQUIRE(to_allowed.status == 303);
        CHECK(
            to_allowed.headers.at("location")
                .rfind("http://allowed.example/welcome#access_token=", 0) == 0
        );

        const auto other = SignUp(server, "redirect-bad");
        const std::string evil = other.link.substr(0, other.link.find("&redirect_to=")) +
                                 "&redirect_to=https://evil.example/steal";
        const auto to_evil = gotrue::testing::Send({"GET", evil, "", {}});
        REQUIRE(to_evil.status == 303);
        CHECK(to_evil.headers.at("location").rfind("http://localhost:3000#access_token=", 0) == 0);

        // signUp's emailRedirectTo lands in the mail's link.
        const std::string email = UniqueEmail("redirect-signup");
        REQUIRE(
            server
                .Post(
                    "/signup?redirect_to=myapp://callback",
                    R"({"email":")" + email + R"(","password":"secret-123"})"
                )
                .status == 200
        );
        const auto mails = WaitForMail(SharedMaildir(), email);
        REQUIRE(mails.size() == 1);
        CHECK(
            gotrue::testing::LinkIn(mails.front()).find("&redirect_to=myapp://callback") !=
            std::string::npos
        );
    }

    TEST_CASE("a banned user's link redirects with user_banned") {
        AuthServer server;
        const auto pending = SignUp(server, "banned");
        server.Database().Execute("UPDATE auth.users SET banned_until = now() + interval '1 day'");
        const auto response = gotrue::testing::Send({"GET", pending.link, "", {}});
        REQUIRE(response.status == 303);
        CHECK(UrlParam(response.headers.at("location"), "error_code") == "user_banned");
    }
}
