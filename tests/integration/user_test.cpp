// GET/PUT /user, /reauthenticate and /logout through the real binary, as
// GoTrue's internal/api/user.go, reauthenticate.go and logout.go answer them.

#include <string>

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
using gotrue::testing::WaitForMail;

namespace {

// The email-change mail among those an address received.
const gotrue::testing::Mail& ChangeMail(const std::vector<gotrue::testing::Mail>& mails) {
    for (const auto& mail : mails) {
        if (mail.Header("Subject") == "Confirm your new email address") {
            return mail;
        }
    }
    FAIL("no email change mail");
    return mails.front();
}

}  // namespace

TEST_SUITE("user") {
    TEST_CASE("GET /user returns the caller, and needs a bearer token") {
        AuthServer server;
        const std::string email = UniqueEmail("get");
        server.SignUpConfirmed(email);
        const std::string token = JsonString(server.SignIn(email).body, "access_token");
        const auto user = server.Get("/user", {Bearer(token)});
        REQUIRE(user.status == 200);
        CHECK(JsonString(user.body, "email") == email);
        const auto none = server.Get("/user");
        CHECK(none.status == 401);
        CHECK(JsonString(none.body, "error_code") == "no_authorization");
        CHECK(JsonString(none.body, "msg") == "This endpoint requires a valid Bearer token");
        CHECK(server.Get("/user", {"Authorization: Basic abc"}).status == 401);
        CHECK(
            server.Get("/user", {"Authorization: bearer " + token}).status == 200
        );  // case-insensitive
    }

    TEST_CASE("PUT /user merges data, a null value deletes the key, app_metadata needs admin") {
        AuthServer server;
        const std::string email = UniqueEmail("data");
        server.SignUpConfirmed(email);
        const std::string token = JsonString(server.SignIn(email).body, "access_token");
        REQUIRE(
            server.Put("/user", R"({"data":{"plan":"pro","drop":1}})", {Bearer(token)}).status ==
            200
        );
        const auto updated =
            server.Put("/user", R"({"data":{"drop":null,"theme":"dark"}})", {Bearer(token)});
        REQUIRE(updated.status == 200);
        CHECK(updated.body.find(R"("plan":"pro")") != std::string::npos);
        CHECK(updated.body.find(R"("theme":"dark")") != std::string::npos);
        CHECK(updated.body.find("\"drop\"") == std::string::npos);
        const auto app =
            server.Put("/user", R"({"app_metadata":{"role":"admin"}})", {Bearer(token)});
        CHECK(app.status == 403);
        CHECK(JsonString(app.body, "error_code") == "not_admin");
    }

    TEST_CASE(
        "a password change: old password stops working, other sessions end, same password refused"
    ) {
        AuthServer server;
        const std::string email = UniqueEmail("password");
        server.SignUpConfirmed(email);
        const auto first = server.SignIn(email);
        const auto second = server.SignIn(email);
        const std::string token = JsonString(first.body, "access_token");
        const auto same = server.Put("/user", R"({"password":"secret-123"})", {Bearer(token)});
        CHECK(same.status == 422);
        CHECK(JsonString(same.body, "error_code") == "same_password");
        const auto weak = server.Put("/user", R"({"password":"abc"})", {Bearer(token)});
        CHECK(weak.status == 422);
        CHECK(JsonString(weak.body, "error_code") == "weak_password");
        REQUIRE(
            server.Put("/user", R"({"password":"new-secret-456"})", {Bearer(token)}).status == 200
        );
        CHECK(
            server
                .Post(
                    "/token?grant_type=password",
                    R"({"email":")" + email + R"(","password":"secret-123"})"
                )
                .status == 400
        );
        CHECK(server.SignIn(email, "new-secret-456").status == 200);
        // The session that changed the password lives on; the other one is gone.
        CHECK(server.Get("/user", {Bearer(token)}).status == 200);
        const auto other = server.Get("/user", {Bearer(JsonString(second.body, "access_token"))});
        CHECK(other.status == 403);
        CHECK(JsonString(other.body, "error_code") == "session_not_found");
    }

    TEST_CASE("reauthentication: the nonce from the mail allows a password change") {
        AuthServer server(
            MailMode::kSync, {{"GOTRUE_SECURITY_UPDATE_PASSWORD_REQUIRE_REAUTHENTICATION", "true"}}
        );
        const std::string email = UniqueEmail("reauth");
        server.SignUpConfirmed(email);
        const std::string token = JsonString(server.SignIn(email).body, "access_token");
        server.Database().Execute("UPDATE auth.sessions SET created_at = now() - interval '2 days'"
        );
        const auto needed =
            server.Put("/user", R"({"password":"new-secret-456"})", {Bearer(token)});
        CHECK(needed.status == 400);
        CHECK(JsonString(needed.body, "error_code") == "reauthentication_needed");
        REQUIRE(server.Get("/reauthenticate", {Bearer(token)}).status == 200);
        const auto mails = WaitForMail(SharedMaildir(), email, 2);
        REQUIRE(mails.size() == 2);
        std::string nonce;
        for (const auto& mail : mails) {
            const std::string subject = gotrue::testing::DecodeHeaderWords(mail.Header("Subject"));
            if (subject.find("is your verification code") != std::string::npos) {
                nonce = subject.substr(0, 6);
            }
        }
        REQUIRE(nonce.size() == 6);
        const auto wrong = server.Put(
            "/user", R"({"password":"new-secret-456","nonce":"000000"})", {Bearer(token)}
        );
        CHECK(wrong.status == 422);
        CHECK(JsonString(wrong.body, "error_code") == "reauthentication_not_valid");
        const auto ok = server.Put(
            "/user", R"({"password":"new-secret-456","nonce":")" + nonce + "\"}", {Bearer(token)}
        );
        CHECK_MESSAGE(ok.status == 200, ok.body);
    }

    TEST_CASE("an email change sends links to both addresses, both confirm it, in every mail mode"
    ) {
        for (const MailMode mode : kAllMailModes) {
            CAPTURE(ModeName(mode));
            AuthServer server(mode);
            const std::string email = UniqueEmail("change-old");
            const std::string new_email = UniqueEmail("change-new");
            server.SignUpConfirmed(email);
            const std::string token = JsonString(server.SignIn(email).body, "access_token");
            const auto taken =
                server.Put("/user", R"({"email":")" + email + "\"}", {Bearer(token)});
            CHECK(taken.status == 200);  // the same address: nothing to change
            const auto changed =
                server.Put("/user", R"({"email":")" + new_email + "\"}", {Bearer(token)});
            REQUIRE_MESSAGE(changed.status == 200, changed.body);
            CHECK(JsonString(changed.body, "new_email") == new_email);
            CHECK(JsonString(changed.body, "email") == email);
            const auto to_new = WaitForMail(SharedMaildir(), new_email);
            const auto to_old = WaitForMail(SharedMaildir(), email, 2);
            REQUIRE(to_new.size() == 1);
            REQUIRE(to_old.size() == 2);  // confirmation + change
            CHECK(to_new.front().Header("Subject") == "Confirm your new email address");
            const auto first =
                gotrue::testing::Send({"GET", gotrue::testing::LinkIn(to_new.front()), "", {}});
            REQUIRE(first.status == 303);
            CHECK(
                gotrue::testing::UrlParam(first.headers.at("location"), "message") ==
                "Confirmation link accepted. Please proceed to confirm link sent to the other email"
            );
            const auto second =
                gotrue::testing::Send({"GET", gotrue::testing::LinkIn(ChangeMail(to_old)), "", {}});
            REQUIRE(second.status == 303);
            CHECK_FALSE(
                gotrue::testing::UrlParam(second.headers.at("location"), "access_token").empty()
            );
            CHECK(server.Database().Scalar("SELECT email FROM auth.users") == new_email);
        }
    }

    TEST_CASE("with autoconfirm a permanent user's email change still waits for a link") {
        // As upstream (internal/api/user.go): autoconfirm skips the mail only for an anonymous
        // user's first address; a permanent user always proves the new one.
        AuthServer server(MailMode::kSync, {{"GOTRUE_MAILER_AUTOCONFIRM", "true"}});
        const std::string email = UniqueEmail("auto-old");
        const std::string new_email = UniqueEmail("auto-new");
        const auto signup =
            server.Post("/signup", R"({"email":")" + email + R"(","password":"secret-123"})");
        REQUIRE_MESSAGE(signup.status == 200, signup.body);
        const std::string token = JsonString(signup.body, "access_token");
        const auto changed =
            server.Put("/user", R"({"email":")" + new_email + "\"}", {Bearer(token)});
        REQUIRE_MESSAGE(changed.status == 200, changed.body);
        CHECK(JsonString(changed.body, "email") == email);
        CHECK(JsonString(changed.body, "new_email") == new_email);
        const auto& db = server.Database();
        CHECK(db.Scalar("SELECT email FROM auth.users") == email);
        const auto to_new = WaitForMail(SharedMaildir(), new_email);
        const auto to_old = WaitForMail(SharedMaildir(), email);
        REQUIRE(to_new.size() == 1);
        REQUIRE(to_old.size() == 1);  // autoconfirm: no confirmation mail before it
        // Under autoconfirm one link completes the change (upstream's emailChangeVerify asks for
        // the second only without it); the other is then used up.
        const auto first =
            gotrue::testing::Send({"GET", gotrue::testing::LinkIn(to_new.front()), "", {}});
        REQUIRE(first.status == 303);
        CHECK_FALSE(gotrue::testing::UrlParam(first.headers.at("location"), "access_token").empty()
        );
        const auto second =
            gotrue::testing::Send({"GET", gotrue::testing::LinkIn(to_old.front()), "", {}});
        REQUIRE(second.status == 303);
        CHECK(
            gotrue::testing::UrlParam(second.headers.at("location"), "error_code") == "otp_expired"
        );
        // The user and its email identity moved to the new address.
        CHECK(db.Scalar("SELECT email FROM auth.users") == new_email);
        CHECK(db.Scalar("SELECT raw_user_meta_data->>'email' FROM auth.users") == new_email);
        CHECK(db.Scalar("SELECT identity_data->>'email' FROM auth.identities") == new_email);
        CHECK(db.Scalar("SELECT email FROM auth.identities") == new_email);
    }

    TEST_CASE("an email already used by another account is refused") {
        AuthServer server;
        const std::string taken = UniqueEmail("taken");
        const std::string email = UniqueEmail("mover");
        server.SignUpConfirmed(taken);
        server.SignUpConfirmed(email);
        const std::string token = JsonString(server.SignIn(email).body, "access_token");
        const auto response = server.Put("/user", R"({"email":")" + taken + "\"}", {Bearer(token)});
        CHECK(response.status == 422);
        CHECK(JsonString(response.body, "error_code") == "email_exists");
    }

    TEST_CASE("logout scopes: local, others, global") {
        AuthServer server;
        const std::string email = UniqueEmail("logout");
        server.SignUpConfirmed(email);
        const auto a = JsonString(server.SignIn(email).body, "access_token");
        const auto b = JsonString(server.SignIn(email).body, "access_token");
        const auto c = JsonString(server.SignIn(email).body, "access_token");
        const auto bad = server.Post("/logout?scope=everything", "", {Bearer(a)});
        CHECK(bad.status == 400);
        CHECK(JsonString(bad.body, "msg") == "Unsupported logout scope \"everything\"");

        const auto local = server.Post("/logout?scope=local", "", {Bearer(a)});
        CHECK(local.status == 204);
        CHECK(local.body.empty());
        CHECK(server.Get("/user", {Bearer(a)}).status == 403);
        CHECK(server.Get("/user", {Bearer(b)}).status == 200);

        CHECK(server.Post("/logout?scope=others", "", {Bearer(b)}).status == 204);
        CHECK(server.Get("/user", {Bearer(b)}).status == 200);
        CHECK(server.Get("/user", {Bearer(c)}).status == 403);

        CHECK(server.Post("/logout", "", {Bearer(b)}).status == 204);  // global
        CHECK(server.Get("/user", {Bearer(b)}).status == 403);
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.sessions") == "0");
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.refresh_tokens") == "0");
    }
}
