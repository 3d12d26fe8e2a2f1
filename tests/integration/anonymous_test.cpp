// Anonymous sign-ins through the real binary, as GoTrue's internal/api/anonymous.go, the /signup
// route of internal/api/api.go and the conversion paths of internal/api/user.go and verify.go
// answer them.

#include <chrono>
#include <string>
#include <thread>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "support/auth_server.hpp"

using gotrue::testing::AccessTokenClaims;
using gotrue::testing::AmrMethods;
using gotrue::testing::AuthServer;
using gotrue::testing::Bearer;
using gotrue::testing::EnvMap;
using gotrue::testing::JsonString;
using gotrue::testing::MailMode;
using gotrue::testing::ParseJson;
using gotrue::testing::SharedMaildir;
using gotrue::testing::UniqueEmail;
using gotrue::testing::WaitForMail;

namespace {

const EnvMap kEnabled{{"GOTRUE_EXTERNAL_ANONYMOUS_USERS_ENABLED", "true"}};

EnvMap Enabled(EnvMap extra) {
    extra.insert(kEnabled.begin(), kEnabled.end());
    return extra;
}

// An anonymous sign-in (REQUIREs 200): the session JSON.
rapidjson::Document SignInAnonymously(
    const AuthServer& server, const std::string& body = "{}", std::vector<std::string> headers = {}
) {
    const auto response = server.Post("/signup", body, std::move(headers));
    REQUIRE_MESSAGE(response.status == 200, response.body);
    return ParseJson(response.body);
}

// The claims of the access token a refresh of the session's refresh token gives (REQUIREs 200).
rapidjson::Document RefreshedClaims(const AuthServer& server, const rapidjson::Document& session) {
    const auto refreshed = server.Post(
        "/token?grant_type=refresh_token",
        R"({"refresh_token":")" + std::string(session["refresh_token"].GetString()) + "\"}"
    );
    REQUIRE_MESSAGE(refreshed.status == 200, refreshed.body);
    return AccessTokenClaims(JsonString(refreshed.body, "access_token"));
}

std::string ErrorCode(const gotrue::testing::HttpResponse& response) {
    return JsonString(response.body, "error_code");
}

std::string EmailBody(const std::string& email, const std::string& extra = "") {
    return R"({"email":")" + email + "\"" + extra + "}";
}

}  // namespace

TEST_SUITE("anonymous") {
    TEST_CASE("disabled by default: 422 anonymous_provider_disabled, /settings says so") {
        AuthServer server;
        for (const char* body : {"{}", R"({"data":{"a":1}})", R"({"email":"","phone":""})"}) {
            CAPTURE(body);
            const auto refused = server.Post("/signup", body);
            CHECK(refused.status == 422);
            CHECK(ErrorCode(refused) == "anonymous_provider_disabled");
            CHECK(JsonString(refused.body, "msg") == "Anonymous sign-ins are disabled");
        }
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.users") == "0");
        CHECK(server.Get("/settings").body.find(R"("anonymous_users":false)") != std::string::npos);
        AuthServer enabled(MailMode::kSync, kEnabled);
        CHECK(enabled.Get("/settings").body.find(R"("anonymous_users":true)") != std::string::npos);
    }

    TEST_CASE("a session whose user and access token are anonymous, without identity or audit") {
        AuthServer server(MailMode::kSync, kEnabled);
        const auto session = SignInAnonymously(server, R"({"data":{"field":"foo"}})");
        CHECK(std::string(session["token_type"].GetString()) == "bearer");
        CHECK(std::string(session["refresh_token"].GetString()).size() == 12);
        const auto& user = session["user"];
        const std::string id = user["id"].GetString();
        CHECK(user["is_anonymous"].GetBool());
        CHECK(std::string(user["email"].GetString()).empty());
        CHECK(std::string(user["phone"].GetString()).empty());
        CHECK(std::string(user["aud"].GetString()) == "authenticated");
        CHECK(std::string(user["role"].GetString()) == "authenticated");
        CHECK(user["identities"].GetArray().Empty());
        CHECK(user["app_metadata"].ObjectEmpty());
        CHECK(std::string(user["user_metadata"]["field"].GetString()) == "foo");
        CHECK(user.HasMember("last_sign_in_at"));
        CHECK_FALSE(user.HasMember("email_confirmed_at"));

        const auto claims = AccessTokenClaims(session["access_token"].GetString());
        CHECK(claims["is_anonymous"].GetBool());
        CHECK(AmrMethods(claims) == "anonymous");
        CHECK(std::string(claims["sub"].GetString()) == id);
        CHECK(std::string(claims["role"].GetString()) == "authenticated");
        CHECK(std::string(claims["email"].GetString()).empty());
        CHECK(std::string(claims["user_metadata"]["field"].GetString()) == "foo");

        const auto& db = server.Database();
        CHECK(db.Scalar("SELECT is_anonymous FROM auth.users WHERE id = '" + id + "'") == "t");
        CHECK(db.Scalar("SELECT count(*) FROM auth.users WHERE email IS NULL") == "1");
        CHECK(db.Scalar("SELECT encrypted_password FROM auth.users").empty());
        CHECK(db.Scalar("SELECT count(*) FROM auth.identities") == "0");
        CHECK(db.Scalar("SELECT count(*) FROM auth.audit_log_entries") == "0");
        CHECK(
            db.Scalar("SELECT string_agg(authentication_method, ',') FROM auth.mfa_amr_claims") ==
            "anonymous"
        );

        // The token works as any other: GET /user, and a refresh keeps the user anonymous.
        const std::string token = session["access_token"].GetString();
        const auto me = server.Get("/user", {Bearer(token)});
        REQUIRE(me.status == 200);
        CHECK(me.body.find(R"("is_anonymous":true)") != std::string::npos);
        const auto refreshed_claims = RefreshedClaims(server, session);
        CHECK(refreshed_claims["is_anonymous"].GetBool());
        CHECK(AmrMethods(refreshed_claims).find("anonymous") != std::string::npos);

        // Each sign-in is a new user; X-JWT-AUD names the audience.
        const auto other = SignInAnonymously(server, "{}", {"X-JWT-AUD: other-aud"});
        CHECK(std::string(other["user"]["id"].GetString()) != id);
        CHECK(std::string(other["user"]["aud"].GetString()) == "other-aud");
        CHECK(other["user"]["user_metadata"].ObjectEmpty());
    }

    TEST_CASE("the body is still checked: wrong types are 400 bad_json, no user is created") {
        AuthServer server(MailMode::kSync, kEnabled);
        for (const char* body :
             {R"({"data":[1]})",
              R"({"data":"x"})",
              R"({"password":5})",
              R"({"email":5})",
              R"({"code_challenge":true})",
              "not json"}) {
            CAPTURE(body);
            const auto refused = server.Post("/signup", body);
            CHECK(refused.status == 400);
            CHECK(ErrorCode(refused) == "bad_json");
        }
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.users") == "0");
        // Fields of other sign-ups are ignored: a password alone is still an anonymous sign-in.
        const auto session = SignInAnonymously(server, R"({"password":"secret-123","data":null})");
        CHECK(session["user"]["is_anonymous"].GetBool());
        CHECK(server.Database().Scalar("SELECT encrypted_password FROM auth.users").empty());
    }

    TEST_CASE("sign-ups disabled: 422 signup_disabled, after the anonymous switch") {
        AuthServer server(MailMode::kSync, Enabled({{"GOTRUE_DISABLE_SIGNUP", "true"}}));
        const auto refused = server.Post("/signup", "{}");
        CHECK(refused.status == 422);
        CHECK(ErrorCode(refused) == "signup_disabled");
        CHECK(JsonString(refused.body, "msg") == "Signups not allowed for this instance");
        AuthServer both_off(MailMode::kSync, {{"GOTRUE_DISABLE_SIGNUP", "true"}});
        CHECK(ErrorCode(both_off.Post("/signup", "{}")) == "anonymous_provider_disabled");
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.users") == "0");
    }

    TEST_CASE("GOTRUE_RATE_LIMIT_ANONYMOUS_USERS per client and hour, apart from email sign-ups") {
        AuthServer server(
            MailMode::kSync,
            Enabled(
                {{"GOTRUE_RATE_LIMIT_HEADER", "My-Custom-Header"},
                 {"GOTRUE_RATE_LIMIT_ANONYMOUS_USERS", "3"},
                 {"GOTRUE_MAILER_AUTOCONFIRM", "true"}}
            )
        );
        // Email sign-ups of the client take from their own bucket.
        for (int i = 0; i < 3; ++i) {
            const auto signup = server.Post(
                "/signup",
                EmailBody(UniqueEmail("anon-limit"), R"(,"password":"secret-123")"),
                {"My-Custom-Header: 1.2.3.4"}
            );
            REQUIRE_MESSAGE(signup.status == 200, signup.body);
        }
        for (int i = 0; i < 3; ++i) {
            static_cast<void>(SignInAnonymously(
                server,
                "{}",
                {"My-Custom-Header: 1.2.3.4", "X-Forwarded-For: 10.0.0." + std::to_string(i)}
            ));
        }
        const auto limited =
            server.Post("/signup", "{}", {"My-Custom-Header: 1.2.3.4", "X-Forwarded-For: 9.9.9.9"});
        CHECK(limited.status == 429);
        CHECK(ErrorCode(limited) == "over_request_rate_limit");
        CHECK(JsonString(limited.body, "msg") == "Request rate limit reached");
        // One token comes back every 3600 / 3 seconds.
        REQUIRE(limited.headers.count("retry-after") == 1);
        const long long retry_after = std::stoll(limited.headers.at("retry-after"));
        CHECK(retry_after > 1100);
        CHECK(retry_after <= 1200);
        // The same address spelled otherwise is the same client; another client is not limited.
        CHECK(
            server.Post("/signup", "{}", {"My-Custom-Header: [::ffff:1.2.3.4]:80"}).status == 429
        );
        static_cast<void>(SignInAnonymously(server, "{}", {"My-Custom-Header: 5.6.7.8"}));
        // Email sign-ups of the limited client still pass.
        CHECK(
            server
                .Post(
                    "/signup",
                    EmailBody(UniqueEmail("anon-limit"), R"(,"password":"secret-123")"),
                    {"My-Custom-Header: 1.2.3.4"}
                )
                .status == 200
        );
        CHECK(
            server.Database().Scalar("SELECT count(*) FROM auth.users WHERE is_anonymous") == "4"
        );
    }

    TEST_CASE("without GOTRUE_RATE_LIMIT_HEADER there is no anonymous limit, as upstream") {
        AuthServer server(MailMode::kSync, Enabled({{"GOTRUE_RATE_LIMIT_ANONYMOUS_USERS", "1"}}));
        for (int i = 0; i < 3; ++i) {
            static_cast<void>(SignInAnonymously(server));
        }
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.users") == "3");
    }

    TEST_CASE("an email converts the user: mail to the new address only, its code verifies it") {
        AuthServer server(MailMode::kSync, kEnabled);
        const auto session = SignInAnonymously(server, R"({"data":{"field":"foo"}})");
        const std::string id = session["user"]["id"].GetString();
        const std::string token = session["access_token"].GetString();
        const std::string email = UniqueEmail("anon-convert");
        const auto updated = server.Put("/user", EmailBody(email), {Bearer(token)});
        REQUIRE_MESSAGE(updated.status == 200, updated.body);
        CHECK(JsonString(updated.body, "new_email") == email);
        CHECK(JsonString(updated.body, "email").empty());
        CHECK(updated.body.find(R"("is_anonymous":true)") != std::string::npos);
        const auto& db = server.Database();
        CHECK(db.Scalar("SELECT is_anonymous FROM auth.users") == "t");
        CHECK(db.Scalar("SELECT count(*) FROM auth.identities") == "0");

        const auto mails = WaitForMail(SharedMaildir(), email);
        REQUIRE(mails.size() == 1);
        CHECK(mails.front().Header("Subject") == "Confirm your new email address");
        CHECK(mails.front().Header("To").find(email) != std::string::npos);
        // A wrong code changes nothing.
        const auto wrong = server.Post(
            "/verify", R"({"type":"email_change","email":")" + email + R"(","token":"000000"})"
        );
        CHECK(wrong.status == 403);
        CHECK(db.Scalar("SELECT is_anonymous FROM auth.users") == "t");

        const auto verified = server.Post(
            "/verify",
            R"({"type":"email_change","email":")" + email + R"(","token":")" +
                gotrue::testing::CodeIn(mails.front()) + "\"}"
        );
        REQUIRE_MESSAGE(verified.status == 200, verified.body);
        const auto converted = ParseJson(verified.body);
        const auto& user = converted["user"];
        CHECK(std::string(user["id"].GetString()) == id);  // the same user
        CHECK_FALSE(user["is_anonymous"].GetBool());
        CHECK(std::string(user["email"].GetString()) == email);
        CHECK(user.HasMember("email_confirmed_at"));
        CHECK_FALSE(user.HasMember("new_email"));
        CHECK(std::string(user["user_metadata"]["field"].GetString()) == "foo");
        REQUIRE(user["identities"].GetArray().Size() == 1);
        const auto& identity = user["identities"][0];
        CHECK(std::string(identity["provider"].GetString()) == "email");
        CHECK(std::string(identity["id"].GetString()) == id);
        CHECK(std::string(identity["identity_data"]["email"].GetString()) == email);
        CHECK(identity["identity_data"]["email_verified"].GetBool());
        CHECK(
            verified.body.find(R"("app_metadata":{"provider":"email","providers":["email"]})") !=
            std::string::npos
        );
        CHECK_FALSE(
            AccessTokenClaims(converted["access_token"].GetString())["is_anonymous"].GetBool()
        );
        CHECK(db.Scalar("SELECT is_anonymous FROM auth.users") == "f");

        // The anonymous session lives on; its next refresh carries the permanent user.
        const auto claims = RefreshedClaims(server, session);
        CHECK_FALSE(claims["is_anonymous"].GetBool());
        CHECK(std::string(claims["email"].GetString()) == email);
    }

    TEST_CASE("email and password together: the password signs in once the link is followed") {
        AuthServer server(MailMode::kSync, kEnabled);
        const auto session = SignInAnonymously(server);
        const std::string id = session["user"]["id"].GetString();
        const std::string email = UniqueEmail("anon-password");
        const auto updated = server.Put(
            "/user",
            EmailBody(email, R"(,"password":"secret-456")"),
            {Bearer(session["access_token"].GetString())}
        );
        REQUIRE_MESSAGE(updated.status == 200, updated.body);
        CHECK(server.Database().Scalar("SELECT encrypted_password <> '' FROM auth.users") == "t");
        // Not yet: the address is only pending.
        const auto early = server.Post(
            "/token?grant_type=password", EmailBody(email, R"(,"password":"secret-456")")
        );
        CHECK(early.status == 400);
        CHECK(ErrorCode(early) == "invalid_credentials");

        const auto mails = WaitForMail(SharedMaildir(), email);
        REQUIRE(mails.size() == 1);
        const auto followed =
            gotrue::testing::Send({"GET", gotrue::testing::LinkIn(mails.front()), "", {}});
        REQUIRE_MESSAGE(followed.status == 303, followed.body);
        const std::string location = followed.headers.at("location");
        CHECK(gotrue::testing::UrlParam(location, "type") == "email_change");
        CHECK_FALSE(AccessTokenClaims(gotrue::testing::UrlParam(location, "access_token")
        )["is_anonymous"]
                        .GetBool());

        const auto signed_in = server.SignIn(email, "secret-456");
        const auto converted = ParseJson(signed_in.body);
        CHECK(std::string(converted["user"]["id"].GetString()) == id);
        CHECK_FALSE(converted["user"]["is_anonymous"].GetBool());
        const auto claims = AccessTokenClaims(converted["access_token"].GetString());
        CHECK_FALSE(claims["is_anonymous"].GetBool());
        CHECK(AmrMethods(claims) == "password");
    }

    TEST_CASE("with autoconfirm the address is set at once and no mail is sent") {
        AuthServer server(MailMode::kSync, Enabled({{"GOTRUE_MAILER_AUTOCONFIRM", "true"}}));
        const auto session = SignInAnonymously(server);
        const std::string id = session["user"]["id"].GetString();
        const std::string token = session["access_token"].GetString();
        const std::string email = UniqueEmail("anon-auto");
        const auto updated = server.Put("/user", EmailBody(email), {Bearer(token)});
        REQUIRE_MESSAGE(updated.status == 200, updated.body);
        const auto user = ParseJson(updated.body);
        CHECK(std::string(user["id"].GetString()) == id);
        CHECK(std::string(user["email"].GetString()) == email);
        CHECK_FALSE(user["is_anonymous"].GetBool());
        CHECK(user.HasMember("email_confirmed_at"));
        CHECK_FALSE(user.HasMember("new_email"));
        REQUIRE(user["identities"].GetArray().Size() == 1);
        CHECK(user["identities"][0]["identity_data"]["email_verified"].GetBool());
        CHECK(std::string(user["app_metadata"]["provider"].GetString()) == "email");
        CHECK(WaitForMail(SharedMaildir(), email, 1, std::chrono::milliseconds(500)).empty());

        // Now permanent: a password may be set without sending the address again.
        REQUIRE(server.Put("/user", R"({"password":"secret-789"})", {Bearer(token)}).status == 200);
        const auto claims =
            AccessTokenClaims(JsonString(server.SignIn(email, "secret-789").body, "access_token"));
        CHECK_FALSE(claims["is_anonymous"].GetBool());
        CHECK(std::string(claims["sub"].GetString()) == id);
    }

    TEST_CASE("what an anonymous user may not do") {
        AuthServer server(
            MailMode::kSync,
            Enabled({{"GOTRUE_SECURITY_UPDATE_PASSWORD_REQUIRE_CURRENT_PASSWORD", "true"}})
        );
        const auto session = SignInAnonymously(server);
        const std::string token = session["access_token"].GetString();
        // A password without an address.
        for (const char* body :
             {R"({"password":"secret-456"})", R"({"email":"","password":"secret-456"})"}) {
            CAPTURE(body);
            const auto refused = server.Put("/user", body, {Bearer(token)});
            CHECK(refused.status == 422);
            CHECK(ErrorCode(refused) == "validation_failed");
            CHECK(
                JsonString(refused.body, "msg") ==
                "Updating password of an anonymous user without an email or phone is not allowed"
            );
        }
        CHECK(server.Database().Scalar("SELECT encrypted_password FROM auth.users").empty());
        // Reauthentication: there is no address to send the nonce to.
        const auto reauth = server.Get("/reauthenticate", {Bearer(token)});
        CHECK(reauth.status == 400);
        CHECK(ErrorCode(reauth) == "validation_failed");
        CHECK(
            JsonString(reauth.body, "msg") ==
            "Reauthentication requires the user to have an email or a phone number"
        );
        // An address another account has.
        const std::string taken = UniqueEmail("anon-taken");
        server.SignUpConfirmed(taken);
        const auto duplicate = server.Put("/user", EmailBody(taken), {Bearer(token)});
        CHECK(duplicate.status == 422);
        CHECK(ErrorCode(duplicate) == "email_exists");
        // Data may be updated; with an address the first password needs no current one.
        CHECK(server.Put("/user", R"({"data":{"k":"v"}})", {Bearer(token)}).status == 200);
        const auto with_email = server.Put(
            "/user",
            EmailBody(UniqueEmail("anon-first"), R"(,"password":"secret-456")"),
            {Bearer(token)}
        );
        CHECK_MESSAGE(with_email.status == 200, with_email.body);
    }

    TEST_CASE("anonymous users older than 30 days are deleted, younger and converted ones stay") {
        AuthServer server(MailMode::kSync, kEnabled);
        const auto& db = server.Database();
        // Rows as earlier sign-ins left them, aged, before the first sign-in of this server
        // starts the sweep (on the worker pool; then at most once a minute).
        const auto insert_user = [&](const std::string& id, bool anonymous, int days) {
            db.Execute(
                "INSERT INTO auth.users (id, aud, role, is_anonymous, created_at, updated_at) "
                "VALUES ('" +
                id + "', 'authenticated', 'authenticated', " + (anonymous ? "true" : "false") +
                ", now() - interval '" + std::to_string(days) + " days', now())"
            );
        };
        const std::string stale = "00000000-0000-4000-8000-000000000001";
        const std::string recent = "00000000-0000-4000-8000-000000000002";
        const std::string permanent = "00000000-0000-4000-8000-000000000003";
        insert_user(stale, true, 31);
        insert_user(recent, true, 29);
        insert_user(permanent, false, 31);
        db.Execute(
            "INSERT INTO auth.sessions (id, user_id, created_at, updated_at) VALUES "
            "('00000000-0000-4000-8000-0000000000a1', '" +
            stale + "', now(), now())"
        );
        const auto exists = [&](const std::string& id) {
            return db.Scalar("SELECT count(*) FROM auth.users WHERE id = '" + id + "'") == "1";
        };
        REQUIRE(exists(stale));

        const std::string fresh = SignInAnonymously(server)["user"]["id"].GetString();
        bool deleted = false;
        for (int i = 0; i < 100 && !deleted; ++i) {
            deleted = !exists(stale);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        CHECK(deleted);
        CHECK(exists(recent));
        CHECK(exists(permanent));
        CHECK(exists(fresh));
        CHECK(
            db.Scalar("SELECT count(*) FROM auth.sessions WHERE user_id = '" + stale + "'") == "0"
        );
    }
}
