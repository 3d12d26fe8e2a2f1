// GoTrue's send-email hook through the real binary in synchronous mail mode (supabase/auth
// internal/api/mail.go sendEmail): every mail goes to the hook instead of SMTP, with upstream's
// email_data; a failing hook undoes what the request prepared and answers the hook's error. The
// HTTP hook is tests/support/hook_receiver.py (it checks the Standard Webhooks signature and
// records what it got), the Postgres hook a PL/pgSQL function that stores its input.

#include <chrono>
#include <string>
#include <thread>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "crypto/crypto.hpp"
#include "support/auth_server.hpp"
#include "support/hook_receiver.hpp"
#include "support/http_client.hpp"
#include "support/mailbox.hpp"
#include "support/process.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::Bearer;
using gotrue::testing::EnvMap;
using gotrue::testing::HookReceiver;
using gotrue::testing::HttpResponse;
using gotrue::testing::JsonString;
using gotrue::testing::MailMode;
using gotrue::testing::UniqueEmail;

namespace {

constexpr const char* kPgUri = "pg-functions://postgres/public/send_email_hook";

// The function stores each input in public.hook_mail and returns `result`.
std::string PgHookFunction(const std::string& result) {
    return "CREATE TABLE IF NOT EXISTS public.hook_mail (id serial PRIMARY KEY, event jsonb);"
           "CREATE OR REPLACE FUNCTION public.send_email_hook(event jsonb) RETURNS jsonb "
           "LANGUAGE plpgsql AS $fn$ BEGIN INSERT INTO public.hook_mail (event) VALUES (event); " +
           result + " END; $fn$;";
}

EnvMap HookEnv(const std::string& uri, EnvMap extra = {}) {
    extra["GOTRUE_HOOK_SEND_EMAIL_ENABLED"] = "true";
    extra["GOTRUE_HOOK_SEND_EMAIL_URI"] = uri;
    extra["GOTRUE_HOOK_SEND_EMAIL_SECRETS"] =
        std::string("v1,whsec_") + gotrue::testing::kWebhookKey;
    return extra;
}

std::string Field(const rapidjson::Value& object, const char* name) {
    REQUIRE_MESSAGE(object.IsObject(), name);
    REQUIRE_MESSAGE(object.HasMember(name), name);
    REQUIRE(object[name].IsString());
    return object[name].GetString();
}

HttpResponse SignUp(const AuthServer& server, const std::string& email) {
    return server.Post("/signup", R"({"email":")" + email + R"(","password":"secret-123"})");
}

// Waits up to 10 s for the receiver to record a send-email request (pool mode answers before
// the hook is called).
void AwaitEmail(const HookReceiver& receiver) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (receiver.Emails().Size() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

// The one mail the receiver got since the last Mode: its email_data (REQUIREs exactly one).
rapidjson::Document OnlyEmailData(
    const HookReceiver& receiver, rapidjson::Document* user = nullptr
) {
    const auto emails = receiver.Emails();
    REQUIRE(emails.IsArray());
    REQUIRE(emails.Size() == 1);
    rapidjson::Document data;
    data.CopyFrom(emails[0]["payload"]["email_data"], data.GetAllocator());
    if (user != nullptr) {
        user->CopyFrom(emails[0]["payload"]["user"], user->GetAllocator());
    }
    return data;
}

std::string Verify(
    const AuthServer& server, const std::string& type, const std::string& token_hash
) {
    const auto response =
        server.Post("/verify", R"({"type":")" + type + R"(","token_hash":")" + token_hash + "\"}");
    REQUIRE_MESSAGE(response.status == 200, response.body);
    return response.body;
}

std::string UserCount(const AuthServer& server, const std::string& email) {
    return server.Database().Scalar(
        "SELECT count(*) FROM auth.users WHERE email = '" + email + "'"
    );
}

// No SMTP mail reached `email` (the hook replaced it).
void CheckNoSmtpMail(const std::string& email) {
    CHECK(gotrue::testing::WaitForMail(
              gotrue::testing::SharedMaildir(), email, 1, std::chrono::milliseconds(1500)
    )
              .empty());
}

// Signs `email` up and confirms it with the token_hash the hook got; the access token.
std::string ConfirmedSession(
    const AuthServer& server, const HookReceiver& receiver, const std::string& email
) {
    receiver.Mode("ok");
    REQUIRE(SignUp(server, email).status == 200);
    const auto data = OnlyEmailData(receiver);
    const std::string session = Verify(server, "signup", Field(data, "token_hash"));
    receiver.Mode("ok");
    return JsonString(session, "access_token");
}

}  // namespace

TEST_SUITE("send-email hook") {
    TEST_CASE(
        "send-email http hook: a signup's mail goes to the signed hook with upstream's data, not "
        "to SMTP"
    ) {
        const HookReceiver receiver;
        AuthServer server(MailMode::kSync, HookEnv(receiver.Url("/send-email")));
        const std::string email = UniqueEmail("send-hook-signup");
        const auto signup = SignUp(server, email);
        REQUIRE_MESSAGE(signup.status == 200, signup.body);

        rapidjson::Document user;
        const auto data = OnlyEmailData(receiver, &user);  // signed, or the receiver drops it
        CHECK(Field(data, "email_action_type") == "signup");
        CHECK(Field(data, "token").size() == 6);
        CHECK(Field(data, "redirect_to") == server.Env().at("GOTRUE_SITE_URL"));
        CHECK(Field(data, "site_url") == server.Env().at("API_EXTERNAL_URL"));
        CHECK(Field(data, "token_new").empty());
        CHECK(Field(data, "token_hash_new").empty());
        CHECK(Field(user, "email") == email);
        CHECK(Field(user, "id") == JsonString(signup.body, "id"));
        CHECK(Field(user, "aud") == "authenticated");
        CheckNoSmtpMail(email);

        // The code and the link token are the ones the server stored: each confirms the user.
        SUBCASE("the token_hash") {
            const auto session = Verify(server, "signup", Field(data, "token_hash"));
            CHECK_FALSE(JsonString(session, "access_token").empty());
        }
        SUBCASE("the code") {
            const auto session = server.Post(
                "/verify",
                R"({"type":"signup","email":")" + email + R"(","token":")" + Field(data, "token") +
                    "\"}"
            );
            CHECK_MESSAGE(session.status == 200, session.body);
        }
        CHECK(
            server.Database().Scalar(
                "SELECT email_confirmed_at IS NOT NULL FROM auth.users WHERE email = '" + email +
                "'"
            ) == "t"
        );
    }

    TEST_CASE("send-email http hook: a failing hook undoes the signup and answers the hook's error"
    ) {
        const HookReceiver receiver;
        AuthServer server(MailMode::kSync, HookEnv(receiver.Url("/send-email")));
        const std::string email = UniqueEmail("send-hook-fail");

        SUBCASE("a 500") {
            receiver.Mode("status500");
            const auto refused = SignUp(server, email);
            CHECK(refused.status == 500);
            CHECK(
                JsonString(refused.body, "msg") == "Unexpected status code returned from hook: 500"
            );
        }
        SUBCASE("an error object: its status and message") {
            receiver.Mode("error");
            const auto refused = SignUp(server, email);
            CHECK(refused.status == 403);
            CHECK(JsonString(refused.body, "msg") == "Denied by the HTTP hook");
        }
        CHECK(receiver.Count() == 1);
        CHECK(UserCount(server, email) == "0");
        CheckNoSmtpMail(email);
        // Nothing of the first attempt is left: the same address signs up once the hook works.
        receiver.Mode("ok");
        CHECK(SignUp(server, email).status == 200);
        CHECK(Field(OnlyEmailData(receiver), "email_action_type") == "signup");
        CHECK(UserCount(server, email) == "1");
    }

    TEST_CASE("send-email http hook: the background mail modes use the hook too, never SMTP") {
        const HookReceiver receiver;
        for (const MailMode mode : {MailMode::kRequestScoped, MailMode::kPool}) {
            CAPTURE(gotrue::testing::ModeName(mode));
            AuthServer server(
                mode,
                HookEnv(
                    receiver.Url("/send-email"),
                    {{"GOTRUE_MAILER_OUTBOX_RETRY_BACKOFF", "200ms"},
                     {"GOTRUE_MAILER_OUTBOX_SWEEP_INTERVAL", "200ms"}}
                )
            );
            receiver.Mode("ok");
            const std::string email = UniqueEmail("send-hook-background");
            REQUIRE(SignUp(server, email).status == 200);
            AwaitEmail(receiver);
            const auto data = OnlyEmailData(receiver);
            CHECK(Field(data, "email_action_type") == "signup");
            CHECK_FALSE(
                JsonString(Verify(server, "signup", Field(data, "token_hash")), "access_token")
                    .empty()
            );
            CheckNoSmtpMail(email);
            // The hook is the outbox's sender here: a failing hook is a failing relay. The signup
            // stands, and its mail is retried until the hook accepts it.
            receiver.Mode("status500");
            const std::string retried = UniqueEmail("send-hook-background-retried");
            CHECK(SignUp(server, retried).status == 200);
            CHECK(UserCount(server, retried) == "1");
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (receiver.Count() == 0 && std::chrono::steady_clock::now() < deadline) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            REQUIRE(receiver.Count() > 0);  // it failed at least once
            receiver.Mode("ok");
            AwaitEmail(receiver);
            rapidjson::Document user;
            const auto retried_data = OnlyEmailData(receiver, &user);
            CHECK(Field(user, "email") == retried);
            CHECK_FALSE(JsonString(
                            Verify(server, "signup", Field(retried_data, "token_hash")),
                            "access_token"
            )
                            .empty());
            CheckNoSmtpMail(retried);
        }
    }

    TEST_CASE(
        "send-email http hook: a hook that is down is retried, then upstream's 422, the signup "
        "undone"
    ) {
        AuthServer server(
            MailMode::kSync,
            HookEnv("http://127.0.0.1:" + std::to_string(gotrue::testing::FreePort()) + "/hook")
        );
        const std::string email = UniqueEmail("send-hook-down");
        const auto start = std::chrono::steady_clock::now();
        const auto refused = SignUp(server, email);
        CHECK(refused.status == 422);
        CHECK(JsonString(refused.body, "error_code") == "hook_timeout_after_retry");
        CHECK(JsonString(refused.body, "msg") == "Failed to reach hook after maximum retries");
        // Three attempts with upstream's 2 s backoff between them.
        CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(3900));
        CHECK(UserCount(server, email) == "0");
        CheckNoSmtpMail(email);
    }

    TEST_CASE(
        "send-email pg-functions hook: the function gets the input in a transaction of its own"
    ) {
        AuthServer server(MailMode::kSync, HookEnv(kPgUri));
        server.Database().Execute(PgHookFunction("RETURN '{}'::jsonb;"));
        const std::string email = UniqueEmail("send-hook-pg");
        const auto signup = SignUp(server, email);
        REQUIRE_MESSAGE(signup.status == 200, signup.body);
        const auto row = [&](const std::string& path) {
            return server.Database().Scalar(
                "SELECT event #>> '{" + path + "}' FROM public.hook_mail ORDER BY id DESC LIMIT 1"
            );
        };
        CHECK(server.Database().Scalar("SELECT count(*) FROM public.hook_mail") == "1");
        CHECK(row("email_data,email_action_type") == "signup");
        CHECK(row("user,email") == email);
        CHECK(row("metadata,name") == "send-email");
        CHECK(row("email_data,token").size() == 6);
        CheckNoSmtpMail(email);
        // The stored link token confirms the user.
        CHECK_FALSE(
            JsonString(Verify(server, "signup", row("email_data,token_hash")), "access_token")
                .empty()
        );

        // A function that raises: upstream's 500, the signup undone, the function's insert too.
        server.Database().Execute(PgHookFunction("RAISE EXCEPTION 'no mail today';"));
        const std::string other = UniqueEmail("send-hook-pg-raise");
        const auto refused = SignUp(server, other);
        CHECK(refused.status == 500);
        CHECK(JsonString(refused.body, "msg") == std::string("Error running hook URI: ") + kPgUri);
        CHECK(UserCount(server, other) == "0");
        CHECK(server.Database().Scalar("SELECT count(*) FROM public.hook_mail") == "1");

        // An error object: its status and message.
        server.Database().Execute(PgHookFunction(
            "RETURN jsonb_build_object('error', jsonb_build_object('http_code', 429, 'message', "
            "'Slow down'));"
        ));
        const auto limited = SignUp(server, other);
        CHECK(limited.status == 429);
        CHECK(JsonString(limited.body, "msg") == "Slow down");
        CHECK(UserCount(server, other) == "0");
    }

    TEST_CASE("send-email http hook: an email change is one call, with upstream's token pairing") {
        const HookReceiver receiver;
        SUBCASE("secure change: both codes and both link tokens") {
            AuthServer server(MailMode::kSync, HookEnv(receiver.Url("/send-email")));
            const std::string email = UniqueEmail("send-hook-change");
            const std::string new_email = UniqueEmail("send-hook-changed");
            const std::string token = ConfirmedSession(server, receiver, email);
            const auto changed =
                server.Put("/user", R"({"email":")" + new_email + "\"}", {Bearer(token)});
            REQUIRE_MESSAGE(changed.status == 200, changed.body);
            rapidjson::Document user;
            const auto data = OnlyEmailData(receiver, &user);  // one call, not one per address
            CHECK(Field(data, "email_action_type") == "email_change");
            CHECK(Field(user, "email") == email);
            CHECK(Field(user, "new_email") == new_email);
            CHECK(Field(data, "token").size() == 6);
            CHECK(Field(data, "token_new").size() == 6);
            CHECK(Field(data, "token") != Field(data, "token_new"));
            CHECK_FALSE(Field(data, "token_hash_new").empty());
            // token_hash is the new address's link, token_hash_new the current one's; both are
            // needed before the change applies.
            CHECK(
                JsonString(Verify(server, "email_change", Field(data, "token_hash")), "msg") ==
                "Confirmation link accepted. Please proceed to confirm link sent to the other email"
            );
            CHECK_FALSE(JsonString(
                            Verify(server, "email_change", Field(data, "token_hash_new")),
                            "access_token"
            )
                            .empty());
            CHECK(UserCount(server, new_email) == "1");
            CheckNoSmtpMail(new_email);
            CheckNoSmtpMail(email);
        }
        SUBCASE("without secure change: the new address's code in token") {
            AuthServer server(
                MailMode::kSync,
                HookEnv(
                    receiver.Url("/send-email"),
                    {{"GOTRUE_MAILER_SECURE_EMAIL_CHANGE_ENABLED", "false"}}
                )
            );
            const std::string email = UniqueEmail("send-hook-plain");
            const std::string new_email = UniqueEmail("send-hook-plained");
            const std::string token = ConfirmedSession(server, receiver, email);
            REQUIRE(
                server.Put("/user", R"({"email":")" + new_email + "\"}", {Bearer(token)}).status ==
                200
            );
            const auto data = OnlyEmailData(receiver);
            CHECK(Field(data, "token_new").empty());
            CHECK(Field(data, "token_hash_new").empty());
            const auto verified = server.Post(
                "/verify",
                R"({"type":"email_change","email":")" + new_email + R"(","token":")" +
                    Field(data, "token") + "\"}"
            );
            CHECK_MESSAGE(verified.status == 200, verified.body);
            CHECK(UserCount(server, new_email) == "1");
        }
    }

    TEST_CASE("send-email http hook: recovery, magic link, reauthentication and invite action types"
    ) {
        const HookReceiver receiver;
        AuthServer server(MailMode::kSync, HookEnv(receiver.Url("/send-email")));
        const std::string email = UniqueEmail("send-hook-kinds");
        const std::string token = ConfirmedSession(server, receiver, email);
        const std::string body = R"({"email":")" + email + "\"}";

        REQUIRE(server.Post("/recover", body).status == 200);
        auto data = OnlyEmailData(receiver);
        CHECK(Field(data, "email_action_type") == "recovery");
        CHECK_FALSE(
            JsonString(Verify(server, "recovery", Field(data, "token_hash")), "access_token")
                .empty()
        );

        std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // MaxFrequency of 1 s
        receiver.Mode("ok");
        REQUIRE(server.Post("/otp", body).status == 200);
        data = OnlyEmailData(receiver);
        CHECK(Field(data, "email_action_type") == "magiclink");
        CHECK_FALSE(
            JsonString(Verify(server, "magiclink", Field(data, "token_hash")), "access_token")
                .empty()
        );

        receiver.Mode("ok");
        REQUIRE(server.Get("/reauthenticate", {Bearer(token)}).status == 200);
        data = OnlyEmailData(receiver);
        CHECK(Field(data, "email_action_type") == "reauthentication");
        CHECK(Field(data, "token").size() == 6);
        CHECK(Field(data, "token_hash").empty());  // a code only
        // The code is the one whose hash the server stored.
        CHECK(
            server.Database().Scalar(
                "SELECT reauthentication_token FROM auth.users WHERE email = '" + email + "'"
            ) == gotrue::crypto::GenerateTokenHash(email, Field(data, "token"))
        );

        receiver.Mode("ok");
        const std::string invited = UniqueEmail("send-hook-invited");
        const auto invite = server.Post(
            "/invite",
            R"({"email":")" + invited + "\"}",
            {Bearer(gotrue::testing::ServiceRoleToken(server))}
        );
        REQUIRE_MESSAGE(invite.status == 200, invite.body);
        data = OnlyEmailData(receiver);
        CHECK(Field(data, "email_action_type") == "invite");
        CheckNoSmtpMail(email);
        CheckNoSmtpMail(invited);
    }
}
