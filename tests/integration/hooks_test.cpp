// The custom access-token hook through the real binary (supabase/auth internal/tokens/service.go
// GenerateAccessToken, internal/hooks/hookspgfunc and hookshttp): a PL/pgSQL function in the
// test database and a local HTTP receiver (tests/support/hook_receiver.py) that checks the
// Standard Webhooks signature.

#include <chrono>
#include <memory>
#include <string>

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include "json/parser.hpp"
#include "support/auth_server.hpp"
#include "support/hook_receiver.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::EnvMap;
using gotrue::testing::HookReceiver;
using gotrue::testing::HttpResponse;
using gotrue::testing::JsonString;
using gotrue::testing::MailMode;
using gotrue::testing::UniqueEmail;

namespace {

constexpr const char* kPgUri = "pg-functions://postgres/public/custom_access_token_hook";
using gotrue::testing::kWebhookKey;
constexpr const char* kOtherSecret = "v1,whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

// The hook function: `body` is the PL/pgSQL between BEGIN and END, with `event` the input.
std::string HookFunction(const std::string& body) {
    return "CREATE OR REPLACE FUNCTION public.custom_access_token_hook(event jsonb) "
           "RETURNS jsonb LANGUAGE plpgsql AS $fn$ DECLARE claims jsonb; BEGIN " +
           body + " END; $fn$;";
}

// Adds user_role (and echoes the input's method and user id) to the claims.
const std::string kAddRole = HookFunction(
    "claims := event->'claims';"
    "claims := jsonb_set(claims, '{user_role}', '\"pg_hook\"');"
    "claims := jsonb_set(claims, '{auth_method}', event->'authentication_method');"
    "claims := jsonb_set(claims, '{hook_user_id}', event->'user_id');"
    "RETURN jsonb_build_object('claims', claims);"
);

EnvMap PgHook(EnvMap extra = {}) {
    extra["GOTRUE_MAILER_AUTOCONFIRM"] = "true";
    extra["GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED"] = "true";
    extra["GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI"] = kPgUri;
    return extra;
}

rapidjson::Document ParseJson(const std::string& text) {
    auto parsed = gotrue::json::Parse(text);
    REQUIRE_MESSAGE(parsed.Ok(), text);
    return std::move(parsed.document);
}

rapidjson::Document Claims(const HttpResponse& session) {
    REQUIRE_MESSAGE(session.status == 200, session.body);
    return ParseJson(gotrue::testing::AccessTokenPayload(JsonString(session.body, "access_token")));
}

std::string Claim(const rapidjson::Document& claims, const char* name) {
    return claims.HasMember(name) && claims[name].IsString() ? claims[name].GetString() : "";
}

// Signs up (autoconfirmed) and returns the user id.
std::string SignUp(const AuthServer& server, const std::string& email) {
    const auto response =
        server.Post("/signup", R"({"email":")" + email + R"(","password":"secret-123"})");
    REQUIRE_MESSAGE(response.status == 200, response.body);
    const auto document = ParseJson(response.body);
    return document["user"]["id"].GetString();
}

HttpResponse PasswordGrant(const AuthServer& server, const std::string& email) {
    return server.Post(
        "/token?grant_type=password", R"({"email":")" + email + R"(","password":"secret-123"})"
    );
}

HttpResponse Refresh(const AuthServer& server, const std::string& refresh_token) {
    return server.Post(
        "/token?grant_type=refresh_token", R"({"refresh_token":")" + refresh_token + "\"}"
    );
}

std::string SessionCount(const AuthServer& server, const std::string& user_id) {
    return server.Database().Scalar(
        "SELECT count(*) FROM auth.sessions WHERE user_id = '" + user_id + "'"
    );
}

// A hook failure: the status, error_code and message the client gets.
void CheckFailure(
    const HttpResponse& response, long status, const std::string& code, const std::string& message
) {
    CHECK_MESSAGE(response.status == status, response.body);
    CHECK(JsonString(response.body, "error_code") == code);
    CHECK(JsonString(response.body, "msg") == message);
    CHECK(JsonString(response.body, "access_token").empty());
}

EnvMap HttpHook(const HookReceiver& receiver, const std::string& secrets) {
    return {
        {"GOTRUE_MAILER_AUTOCONFIRM", "true"},
        {"GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED", "true"},
        {"GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI", receiver.Url("/hook")},
        {"GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_SECRETS", secrets},
    };
}

}  // namespace

TEST_SUITE("hooks") {
    TEST_CASE("pg-functions hook: its claim is in the tokens of password grant, refresh and signup"
    ) {
        AuthServer server(MailMode::kSync, PgHook());
        server.Database().Execute(kAddRole);
        const std::string email = UniqueEmail("hook-pg");
        const std::string user_id = SignUp(server, email);

        const auto signed_in = PasswordGrant(server, email);
        const auto claims = Claims(signed_in);
        CHECK(Claim(claims, "user_role") == "pg_hook");
        CHECK(Claim(claims, "auth_method") == "password");
        CHECK(Claim(claims, "hook_user_id") == user_id);
        // The claims the server built reached the function and came back.
        CHECK(Claim(claims, "sub") == user_id);
        CHECK(Claim(claims, "email") == email);
        CHECK(Claim(claims, "aal") == "aal1");
        CHECK(claims["exp"].GetInt64() == ParseJson(signed_in.body)["expires_at"].GetInt64());

        const auto refreshed = Refresh(server, JsonString(signed_in.body, "refresh_token"));
        const auto refreshed_claims = Claims(refreshed);
        CHECK(Claim(refreshed_claims, "user_role") == "pg_hook");
        CHECK(Claim(refreshed_claims, "auth_method") == "token_refresh");

        // Sign-up with autoconfirm issues its session through the hook too.
        const auto signup = server.Post(
            "/signup", R"({"email":")" + UniqueEmail("hook-pg2") + R"(","password":"secret-123"})"
        );
        CHECK(Claim(Claims(signup), "user_role") == "pg_hook");
    }

    TEST_CASE("pg-functions hook: an anonymous sign-in passes authentication_method anonymous") {
        AuthServer server(
            MailMode::kSync, PgHook({{"GOTRUE_EXTERNAL_ANONYMOUS_USERS_ENABLED", "true"}})
        );
        server.Database().Execute(kAddRole);
        const auto claims = Claims(server.Post("/signup", "{}"));
        CHECK(Claim(claims, "user_role") == "pg_hook");
        CHECK(Claim(claims, "auth_method") == "anonymous");
        CHECK(claims["is_anonymous"].GetBool());
    }

    TEST_CASE("pg-functions hook: errors answer the client and leave no session behind") {
        AuthServer server(MailMode::kSync, PgHook());
        server.Database().Execute(kAddRole);
        const std::string email = UniqueEmail("hook-pg-error");
        const std::string user_id = SignUp(server, email);
        const auto first = PasswordGrant(server, email);
        REQUIRE(first.status == 200);
        const std::string refresh_token = JsonString(first.body, "refresh_token");
        const std::string sessions = SessionCount(server, user_id);

        SUBCASE("an error object: its status and message") {
            server.Database().Execute(HookFunction(
                "RETURN jsonb_build_object('error', jsonb_build_object('http_code', 403, "
                "'message', 'Denied by the function'));"
            ));
            CheckFailure(PasswordGrant(server, email), 403, "unknown", "Denied by the function");
            // The 2024 format carries the same.
            const auto v2024 = server.Post(
                "/token?grant_type=password",
                R"({"email":")" + email + R"(","password":"secret-123"})",
                {"X-Supabase-Api-Version: 2024-01-01"}
            );
            CHECK(v2024.status == 403);
            CHECK(JsonString(v2024.body, "code") == "unknown");
            CHECK(JsonString(v2024.body, "message") == "Denied by the function");
            CheckFailure(Refresh(server, refresh_token), 403, "unknown", "Denied by the function");
        }
        SUBCASE("an error object without http_code is a 500") {
            server.Database().Execute(HookFunction(
                "RETURN jsonb_build_object('error', jsonb_build_object('message', 'broken'));"
            ));
            CheckFailure(PasswordGrant(server, email), 500, "unexpected_failure", "broken");
        }
        SUBCASE("claims without a required one") {
            server.Database().Execute(
                HookFunction("RETURN jsonb_build_object('claims', (event->'claims') - 'aal');")
            );
            CheckFailure(
                PasswordGrant(server, email),
                500,
                "unexpected_failure",
                "output claims do not conform to the expected schema: \n- (root): aal is required\n"
            );
        }
        SUBCASE("a claim of the wrong type") {
            server.Database().Execute(HookFunction(
                "RETURN jsonb_build_object('claims', jsonb_set(event->'claims', '{role}', '7'));"
            ));
            CheckFailure(
                PasswordGrant(server, email),
                500,
                "unexpected_failure",
                "output claims do not conform to the expected schema: \n"
                "- role: Invalid type. Expected: string, given: integer\n"
            );
        }
        SUBCASE("no claims field") {
            server.Database().Execute(HookFunction("RETURN '{}'::jsonb;"));
            CheckFailure(
                PasswordGrant(server, email),
                500,
                "unexpected_failure",
                "output claims field is missing"
            );
        }
        SUBCASE("the function raises, or overruns its statement timeout") {
            const std::string message = std::string("Error running hook URI: ") + kPgUri;
            server.Database().Execute(HookFunction("RAISE EXCEPTION 'boom';"));
            CheckFailure(PasswordGrant(server, email), 500, "unexpected_failure", message);
            server.Database().Execute(HookFunction("PERFORM pg_sleep(5); RETURN NULL;"));
            const auto start = std::chrono::steady_clock::now();
            CheckFailure(PasswordGrant(server, email), 500, "unexpected_failure", message);
            CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(4500));
            server.Database().Execute("DROP FUNCTION public.custom_access_token_hook(jsonb);");
            CheckFailure(Refresh(server, refresh_token), 500, "unexpected_failure", message);
        }
        // Nothing was committed: no new session, and the refresh token was not rotated.
        CHECK(SessionCount(server, user_id) == sessions);
        server.Database().Execute(kAddRole);
        CHECK(Claim(Claims(Refresh(server, refresh_token)), "user_role") == "pg_hook");
    }

    TEST_CASE(
        "pg-functions hook: a failing hook on GET /verify redirects with the error, the link stays "
        "usable"
    ) {
        EnvMap env = PgHook();
        env.erase("GOTRUE_MAILER_AUTOCONFIRM");
        AuthServer server(MailMode::kSync, env);
        server.Database().Execute(
            HookFunction("RETURN jsonb_build_object('error', jsonb_build_object('http_code', 403, "
                         "'message', 'Not yet'));")
        );
        const std::string email = UniqueEmail("hook-verify");
        const auto signup =
            server.Post("/signup", R"({"email":")" + email + R"(","password":"secret-123"})");
        REQUIRE_MESSAGE(signup.status == 200, signup.body);
        const auto mails = gotrue::testing::WaitForMail(gotrue::testing::SharedMaildir(), email);
        REQUIRE(mails.size() == 1);
        const std::string link = gotrue::testing::LinkIn(mails.front());

        const auto refused = gotrue::testing::Send({"GET", link, "", {}});
        REQUIRE(refused.status == 303);
        const std::string& location = refused.headers.at("location");
        // The hook's status and message, as upstream's redirect carries them (no error_code).
        CHECK(gotrue::testing::UrlParam(location, "error") == "access_denied");
        CHECK(gotrue::testing::UrlParam(location, "error_description") == "Not yet");
        CHECK(location.find("access_token") == std::string::npos);
        // The confirmation rolled back with the session: the user is unconfirmed, the link alive.
        CHECK(
            server.Database().Scalar(
                "SELECT email_confirmed_at IS NULL FROM auth.users WHERE email = '" + email + "'"
            ) == "t"
        );
        server.Database().Execute(kAddRole);
        const auto verified = gotrue::testing::Send({"GET", link, "", {}});
        REQUIRE(verified.status == 303);
        const std::string access_token =
            gotrue::testing::UrlParam(verified.headers.at("location"), "access_token");
        REQUIRE_FALSE(access_token.empty());
        const auto claims = ParseJson(gotrue::testing::AccessTokenPayload(access_token));
        CHECK(Claim(claims, "user_role") == "pg_hook");
        CHECK(Claim(claims, "auth_method") == "otp");
    }

    TEST_CASE("http hook: signed requests, claims applied, and upstream's errors") {
        const HookReceiver receiver;
        // Two secrets: the receiver accepts the one it knows.
        AuthServer server(
            MailMode::kSync,
            HttpHook(receiver, std::string(kOtherSecret) + "|v1,whsec_" + kWebhookKey)
        );
        const std::string email = UniqueEmail("hook-http");
        const std::string user_id = SignUp(server, email);
        const std::string sessions = SessionCount(server, user_id);
        bool failed = true;  // the subcase's hook failed: no session may be left behind

        SUBCASE("claims") {
            failed = false;
            const auto signed_in = PasswordGrant(server, email);
            const auto claims = Claims(signed_in);
            CHECK(Claim(claims, "user_role") == "http_hook");
            CHECK(Claim(claims, "auth_method") == "password");
            CHECK(Claim(claims, "hook_user_id") == user_id);
            const auto refreshed = Refresh(server, JsonString(signed_in.body, "refresh_token"));
            CHECK(Claim(Claims(refreshed), "auth_method") == "token_refresh");
        }
        SUBCASE("an error object") {
            receiver.Mode("error");
            CheckFailure(PasswordGrant(server, email), 403, "unknown", "Denied by the HTTP hook");
        }
        SUBCASE("a content type other than JSON") {
            receiver.Mode("text");
            CheckFailure(
                PasswordGrant(server, email),
                400,
                "hook_payload_invalid_content_type",
                "Invalid JSON response. Received content-type: text/plain"
            );
        }
        SUBCASE("invalid claims") {
            receiver.Mode("invalid");
            CheckFailure(
                PasswordGrant(server, email),
                500,
                "unexpected_failure",
                "output claims do not conform to the expected schema: \n- (root): aal is required\n"
            );
        }
        SUBCASE("an answer over 200 KiB") {
            receiver.Mode("big");
            CheckFailure(
                PasswordGrant(server, email),
                422,
                "hook_payload_over_size_limit",
                "Payload size exceeded size limit of 204800 bytes"
            );
        }
        SUBCASE("503 with Retry-After is retried") {
            failed = false;
            receiver.Mode("retry");
            CHECK(Claim(Claims(PasswordGrant(server, email)), "user_role") == "http_hook");
            CHECK(receiver.Count() == 2);
        }
        SUBCASE("a hook slower than 5 s") {
            receiver.Mode("slow");
            const auto start = std::chrono::steady_clock::now();
            CheckFailure(
                PasswordGrant(server, email),
                422,
                "hook_timeout",
                "Failed to reach hook within maximum time of 5.000000 seconds"
            );
            const auto took = std::chrono::steady_clock::now() - start;
            CHECK(took >= std::chrono::milliseconds(4900));
            CHECK(took < std::chrono::milliseconds(6900));
            CHECK(receiver.Count() == 1);
        }
        if (failed) {
            CHECK(SessionCount(server, user_id) == sessions);
        }
    }

    TEST_CASE("http hook: a request signed with the wrong secret is refused by the receiver") {
        const HookReceiver receiver;
        AuthServer server(MailMode::kSync, HttpHook(receiver, kOtherSecret));
        const std::string email = UniqueEmail("hook-http-secret");
        // Sign-up with autoconfirm issues a session: the hook fails, and the user it created is
        // rolled back with it.
        CheckFailure(
            server.Post("/signup", R"({"email":")" + email + R"(","password":"secret-123"})"),
            500,
            "unexpected_failure",
            "Hook requires authorization token"
        );
        CHECK(receiver.Count() == 1);
        CHECK(
            server.Database().Scalar(
                "SELECT count(*) FROM auth.users WHERE email = '" + email + "'"
            ) == "0"
        );
    }

    TEST_CASE("hook URIs are checked at startup: http only for localhost") {
        auto env =
            gotrue::testing::BaseEnvironment("postgres://unused", gotrue::testing::FreePort());
        env["GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_ENABLED"] = "true";
        env["GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI"] = "http://hooks.example.com/token";
        auto result = gotrue::testing::RunGotrue({"serve"}, env);
        CHECK(result.exit_code == 1);
        CHECK(
            result.output ==
            "gotrue: configuration error: GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI: only localhost, "
            "127.0.0.1, and ::1 are supported with http\n"
        );
        env["GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI"] = "pg-functions://postgres/public/drop;table";
        result = gotrue::testing::RunGotrue({"serve"}, env);
        CHECK(result.exit_code == 1);
        CHECK(
            result.output ==
            "gotrue: configuration error: GOTRUE_HOOK_CUSTOM_ACCESS_TOKEN_URI: invalid table name: "
            "drop;table\n"
        );
    }
}
