// POST /recover, /resend, /magiclink and /otp through the real binary, as
// GoTrue's internal/api/recover.go, resend.go, magic_link.go and otp.go answer them.

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "support/auth_server.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::Bearer;
using gotrue::testing::JsonString;
using gotrue::testing::kAllMailModes;
using gotrue::testing::MailMode;
using gotrue::testing::ModeName;
using gotrue::testing::SharedMaildir;
using gotrue::testing::UniqueEmail;
using gotrue::testing::UrlParam;
using gotrue::testing::WaitForMail;

namespace {

std::string EmailBody(const std::string& email) {
    return R"({"email":")" + email + "\"}";
}

// Mails with `subject` among those `email` received.
std::vector<gotrue::testing::Mail> WithSubject(
    const std::string& email,
    const std::string& subject,
    std::size_t count,
    std::chrono::milliseconds timeout = std::chrono::seconds(10)
) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<gotrue::testing::Mail> found;
    while (std::chrono::steady_clock::now() < deadline) {
        found.clear();
        for (auto& mail : WaitForMail(SharedMaildir(), email, 0, std::chrono::milliseconds(0))) {
            if (mail.Header("Subject") == subject) {
                found.push_back(mail);
            }
        }
        if (found.size() >= count) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return found;
}

}  // namespace

TEST_SUITE("recover") {
    TEST_CASE("recover rows: validation, unknown users look the same, known users get a link") {
        for (const MailMode mode : kAllMailModes) {
            CAPTURE(ModeName(mode));
            AuthServer server(mode);
            CHECK(
                JsonString(server.Post("/recover", "{}").body, "msg") ==
                "Password recovery requires an email"
            );
            CHECK(server.Post("/recover", EmailBody("nope")).status == 400);
            const std::string unknown = UniqueEmail("recover-unknown");
            const auto unknown_response = server.Post("/recover", EmailBody(unknown));
            CHECK(unknown_response.status == 200);
            CHECK(unknown_response.body == "{}");

            const std::string email = UniqueEmail(std::string("recover-") + ModeName(mode));
            server.SignUpConfirmed(email);
            const auto known = server.Post("/recover", EmailBody(email));
            CHECK(known.status == 200);
            CHECK(known.body == "{}");
            const auto mails = WithSubject(email, "Reset your password", 1);
            REQUIRE(mails.size() == 1);
            const std::string link = gotrue::testing::LinkIn(mails.front());
            CHECK(link.find("type=recovery") != std::string::npos);
            CHECK(
                server.Database().Scalar("SELECT recovery_sent_at IS NOT NULL FROM auth.users") ==
                "t"
            );
            CHECK(WaitForMail(SharedMaildir(), unknown, 1, std::chrono::milliseconds(300)).empty());

            // The link signs the user in; the recovery session may set a new password.
            const auto verified = gotrue::testing::Send({"GET", link, "", {}});
            REQUIRE(verified.status == 303);
            const std::string token = UrlParam(verified.headers.at("location"), "access_token");
            CHECK(UrlParam(verified.headers.at("location"), "type") == "recovery");
            REQUIRE(
                server.Put("/user", R"({"password":"recovered-789"})", {Bearer(token)}).status ==
                200
            );
            CHECK(
                server
                    .Post(
                        "/token?grant_type=password",
                        R"({"email":")" + email + R"(","password":"secret-123"})"
                    )
                    .status == 400
            );
            CHECK(server.SignIn(email, "recovered-789").status == 200);
        }
    }

    TEST_CASE("recover within MaxFrequency is 429, and the email provider switch") {
        AuthServer server(MailMode::kSync, {{"GOTRUE_SMTP_MAX_FREQUENCY", "1m"}});
        const std::string email = UniqueEmail("recover-429");
        server.SignUpConfirmed(email);
        REQUIRE(server.Post("/recover", EmailBody(email)).status == 200);
        const auto again = server.Post("/recover", EmailBody(email));
        CHECK(again.status == 429);
        CHECK(JsonString(again.body, "error_code") == "over_email_send_rate_limit");
        AuthServer disabled(MailMode::kSync, {{"GOTRUE_EXTERNAL_EMAIL_ENABLED", "false"}});
        const auto off = disabled.Post("/recover", EmailBody(email));
        CHECK(off.status == 400);
        CHECK(JsonString(off.body, "error_code") == "email_provider_disabled");
    }

    TEST_CASE("resend rows") {
        AuthServer server;
        const auto bad_type = server.Post("/resend", R"({"type":"bogus","email":"a@example.com"})");
        CHECK(
            JsonString(bad_type.body, "msg") ==
            "Missing one of these types: signup, email_change, sms, phone_change"
        );
        CHECK(
            JsonString(server.Post("/resend", R"({"type":"signup"})").body, "msg") ==
            "Type provided requires an email address"
        );
        CHECK(server.Post("/resend", R"({"type":"sms","phone":"123456789"})").status == 400);
        CHECK(
            server
                .Post(
                    "/resend",
                    R"({"type":"signup","email":")" + UniqueEmail("resend-unknown") + "\"}"
                )
                .body == "{}"
        );

        const std::string pending = UniqueEmail("resend-pending");
        REQUIRE(
            server.Post("/signup", R"({"email":")" + pending + R"(","password":"secret-123"})")
                .status == 200
        );
        server.Database().Execute(
            "UPDATE auth.users SET confirmation_sent_at = now() - interval '1 hour'"
        );
        CHECK(
            server.Post("/resend", R"({"type":"signup","email":")" + pending + "\"}").status == 200
        );
        CHECK(WithSubject(pending, "Confirm your email address", 2).size() == 2);

        const std::string confirmed = UniqueEmail("resend-confirmed");
        server.SignUpConfirmed(confirmed);
        CHECK(
            server.Post("/resend", R"({"type":"signup","email":")" + confirmed + "\"}").body == "{}"
        );
        CHECK(
            WithSubject(confirmed, "Confirm your email address", 2, std::chrono::milliseconds(500))
                .size() == 1
        );

        // A pending email change is mailed again.
        const std::string token = JsonString(server.SignIn(confirmed).body, "access_token");
        const std::string target = UniqueEmail("resend-target");
        REQUIRE(
            server.Put("/user", R"({"email":")" + target + "\"}", {Bearer(token)}).status == 200
        );
        server.Database().Execute(
            "UPDATE auth.users SET email_change_sent_at = now() - interval '1 hour'"
        );
        CHECK(
            server.Post("/resend", R"({"type":"email_change","email":")" + confirmed + "\"}")
                .status == 200
        );
        CHECK(WithSubject(target, "Confirm your new email address", 2).size() == 2);
    }

    TEST_CASE("magic links: new users are signed up, confirmed users get a sign-in link") {
        for (const MailMode mode : kAllMailModes) {
            CAPTURE(ModeName(mode));
            AuthServer server(mode);
            const std::string fresh = UniqueEmail(std::string("magic-new-") + ModeName(mode));
            CHECK(
                server.Post("/magiclink", R"({"email":")" + fresh + R"(","data":{"from":"magic"}})")
                    .body == "{}"
            );
            CHECK(WithSubject(fresh, "Confirm your email address", 1).size() == 1);
            CHECK(
                server.Database().Scalar(
                    "SELECT raw_user_meta_data->>'from' FROM auth.users WHERE email = '" + fresh +
                    "'"
                ) == "magic"
            );
            // A magic-link user has a password nobody knows.
            CHECK(
                server.Database().Scalar(
                    "SELECT length(encrypted_password) FROM auth.users WHERE email = '" + fresh +
                    "'"
                ) == "60"
            );

            const std::string email = UniqueEmail(std::string("magic-") + ModeName(mode));
            server.SignUpConfirmed(email);
            CHECK(server.Post("/magiclink", EmailBody(email)).status == 200);
            const auto mails = WithSubject(email, "Your sign-in link", 1);
            REQUIRE(mails.size() == 1);
            const auto verified =
                gotrue::testing::Send({"GET", gotrue::testing::LinkIn(mails.front()), "", {}});
            REQUIRE(verified.status == 303);
            CHECK(UrlParam(verified.headers.at("location"), "type") == "magiclink");
            CHECK_FALSE(UrlParam(verified.headers.at("location"), "access_token").empty());
        }
    }

    TEST_CASE("otp rows, and the code verifies with type email") {
        AuthServer server;
        CHECK(
            JsonString(server.Post("/otp", "{}").body, "msg") == "One of email or phone must be set"
        );
        CHECK(
            server.Post("/otp", R"({"email":"a@example.com","phone":"123456789"})").status == 400
        );
        CHECK(server.Post("/otp", R"({"phone":"123456789"})").status == 400);
        const std::string unknown = UniqueEmail("otp-nocreate");
        const auto refused =
            server.Post("/otp", R"({"email":")" + unknown + R"(","create_user":false})");
        CHECK(refused.status == 422);
        CHECK(JsonString(refused.body, "error_code") == "otp_disabled");
        CHECK(
            server.Database().Scalar(
                "SELECT count(*) FROM auth.users WHERE email = '" + unknown + "'"
            ) == "0"
        );

        const std::string email = UniqueEmail("otp");
        server.SignUpConfirmed(email);
        REQUIRE(
            server.Post("/otp", R"({"email":")" + email + R"(","create_user":false})").status == 200
        );
        const auto mails = WithSubject(email, "Your sign-in link", 1);
        REQUIRE(mails.size() == 1);
        const std::string code = gotrue::testing::CodeIn(mails.front());
        const auto session = server.Post(
            "/verify", R"({"type":"email","email":")" + email + R"(","token":")" + code + "\"}"
        );
        REQUIRE_MESSAGE(session.status == 200, session.body);
        CHECK_FALSE(JsonString(session.body, "access_token").empty());

        AuthServer no_magic(
            MailMode::kSync, {{"GOTRUE_EXTERNAL_EMAIL_MAGIC_LINK_ENABLED", "false"}}
        );
        const auto disabled = no_magic.Post("/magiclink", EmailBody(email));
        CHECK(disabled.status == 422);
        CHECK(JsonString(disabled.body, "msg") == "Login with magic link is disabled");
    }
}
