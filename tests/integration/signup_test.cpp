// POST /signup through the real binary: every outcome of GoTrue's internal/api/signup.go that
// applies to email, in the three mail modes where mail is involved.

#include <cctype>
#include <chrono>
#include <csignal>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "support/auth_server.hpp"
#include "support/fault_relay.hpp"

using gotrue::testing::AuthServer;
using gotrue::testing::JsonString;
using gotrue::testing::kAllMailModes;
using gotrue::testing::MailMode;
using gotrue::testing::ModeName;
using gotrue::testing::SharedMaildir;
using gotrue::testing::UniqueEmail;
using gotrue::testing::WaitForMail;

namespace {

std::string SignupBody(
    const std::string& email,
    const std::string& password = "secret-123",
    const std::string& data = "{}"
) {
    return R"({"email":")" + email + R"(","password":")" + password + R"(","data":)" + data + "}";
}

std::string ErrorCode(const gotrue::testing::HttpResponse& response) {
    return JsonString(response.body, "error_code");
}

}  // namespace

TEST_SUITE("signup") {
    TEST_CASE("request validation rows (no user is created)") {
        AuthServer server;
        const auto anonymous = server.Post("/signup", R"({"password":"secret-123"})");
        CHECK(anonymous.status == 422);
        CHECK(ErrorCode(anonymous) == "anonymous_provider_disabled");

        const auto empty_password = server.Post("/signup", R"({"email":"a@example.com"})");
        CHECK(empty_password.status == 400);
        CHECK(JsonString(empty_password.body, "msg") == "Signup requires a valid password");

        const auto long_password =
            server.Post("/signup", SignupBody("a@example.com", std::string(73, 'x')));
        CHECK(long_password.status == 400);
        CHECK(
            JsonString(long_password.body, "msg") == "Password cannot be longer than 72 characters"
        );

        const auto weak = server.Post("/signup", SignupBody("a@example.com", "abc"));
        CHECK(weak.status == 422);
        CHECK(ErrorCode(weak) == "weak_password");
        CHECK(weak.body.find(R"("weak_password":{"reasons":["length"]})") != std::string::npos);

        const auto both = server.Post(
            "/signup", R"({"email":"a@example.com","phone":"123456789","password":"secret-123"})"
        );
        CHECK(both.status == 400);
        CHECK(
            JsonString(both.body, "msg") ==
            "Only an email address or phone number should be provided on signup."
        );

        for (const char* bad : {"not-an-email", "a@-b.com", "@example.com", "a b@example.com"}) {
            CAPTURE(bad);
            const auto invalid = server.Post("/signup", SignupBody(bad));
            CHECK(invalid.status == 400);
            CHECK(ErrorCode(invalid) == "validation_failed");
        }
        const auto too_long =
            server.Post("/signup", SignupBody(std::string(250, 'a') + "@example.com"));
        CHECK(too_long.status == 400);
        CHECK(JsonString(too_long.body, "msg") == "An email address is too long");
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.users") == "0");
    }

    TEST_CASE("signups disabled and email provider disabled") {
        AuthServer disabled(MailMode::kSync, {{"GOTRUE_DISABLE_SIGNUP", "true"}});
        const auto refused = disabled.Post("/signup", SignupBody(UniqueEmail("disabled")));
        CHECK(refused.status == 422);
        CHECK(ErrorCode(refused) == "signup_disabled");

        AuthServer no_email(MailMode::kSync, {{"GOTRUE_EXTERNAL_EMAIL_ENABLED", "false"}});
        const auto off = no_email.Post("/signup", SignupBody(UniqueEmail("noemail")));
        CHECK(off.status == 400);
        CHECK(ErrorCode(off) == "email_provider_disabled");
        CHECK(JsonString(off.body, "msg") == "Email signups are disabled");
    }

    TEST_CASE("custom subjects render with html/template as GoTrue's do: values HTML-escaped") {
        AuthServer server(
            MailMode::kSync,
            {{"GOTRUE_MAILER_SUBJECTS_CONFIRMATION", "Welcome {{ .Data.company }} & co <3"}}
        );
        const std::string email = UniqueEmail("subject-escape");
        const auto response = server.Post(
            "/signup", SignupBody(email, "secret-123", R"({"company":"Smith & Sons <Ltd>"})")
        );
        REQUIRE_MESSAGE(response.status == 200, response.body);
        const auto mails = WaitForMail(SharedMaildir(), email);
        REQUIRE_MESSAGE(mails.size() == 1, server.Output());
        // The value is escaped; the subject's own text is not, except a '<' that starts no tag.
        CHECK(mails.front().Header("Subject") == "Welcome Smith &amp; Sons &lt;Ltd&gt; & co &lt;3");
    }

    TEST_CASE("custom subjects with template calls and break: escaped as Go's, refused as Go's") {
        AuthServer server(
            MailMode::kSync,
            {{"GOTRUE_MAILER_SUBJECTS_CONFIRMATION",
              R"({{ define "who" }}{{ .Data.company }}{{ end }}Welcome {{ template "who" . }})"
              R"({{ range .Data.l }}{{ if eq . "stop" }}{{ break }}{{ end }}, {{ . }}{{ end }})"},
             // html/template refuses a break whose context differs from the range's end.
             {"GOTRUE_MAILER_SUBJECTS_RECOVERY",
              R"({{ range .Data.l }}<a title="{{ if . }}{{ break }}{{ end }}">{{ end }})"}}
        );
        const std::string email = UniqueEmail("subject-template");
        const auto response = server.Post(
            "/signup",
            SignupBody(email, "secret-123", R"({"company":"A & B","l":["<x>","stop","y"]})")
        );
        REQUIRE_MESSAGE(response.status == 200, response.body);
        const auto mails = WaitForMail(SharedMaildir(), email);
        REQUIRE_MESSAGE(mails.size() == 1, server.Output());
        CHECK(mails.front().Header("Subject") == "Welcome A &amp; B, &lt;x&gt;");
        CHECK(server.Output().find("custom mail subject rejected") != std::string::npos);
        CHECK(server.Output().find("at range loop break") != std::string::npos);
    }

    TEST_CASE("a new user gets a confirmation mail whose link confirms them, in every mail mode") {
        for (const MailMode mode : kAllMailModes) {
            CAPTURE(ModeName(mode));
            AuthServer server(mode);
            const std::string email = UniqueEmail(std::string("signup-") + ModeName(mode));
            std::string upper = email;
            upper[0] = static_cast<char>(std::toupper(upper[0]));
            const auto response =
                server.Post("/signup", SignupBody(upper, "secret-123", R"({"name":"Ada"})"));
            REQUIRE_MESSAGE(response.status == 200, response.body);
            CHECK(JsonString(response.body, "email") == email);  // lower-cased
            CHECK(JsonString(response.body, "aud") == "authenticated");
            CHECK(JsonString(response.body, "role") == "authenticated");
            CHECK(response.body.find(R"("name":"Ada")") != std::string::npos);
            CHECK(
                response.body.find(R"("app_metadata":{"provider":"email","providers":["email"]})"
                ) != std::string::npos
            );
            CHECK(response.body.find("\"confirmation_sent_at\"") != std::string::npos);
            CHECK(response.body.find("\"email_confirmed_at\"") == std::string::npos);
            CHECK(
                response.body.find(R"("provider":"email")") != std::string::npos
            );  // the identity

            const auto mails = WaitForMail(SharedMaildir(), email);
            REQUIRE_MESSAGE(mails.size() == 1, server.Output());
            CHECK(mails.front().Header("Subject") == "Confirm your email address");
            const std::string link = gotrue::testing::LinkIn(mails.front());
            CHECK(link.rfind(server.Env().at("API_EXTERNAL_URL") + "/verify?token=", 0) == 0);
            CHECK(link.find("&type=signup&redirect_to=http://localhost:3000") != std::string::npos);
            CHECK(gotrue::testing::CodeIn(mails.front()).size() == 6);

            const auto verified = gotrue::testing::Send({"GET", link, "", {}});
            REQUIRE(verified.status == 303);
            const std::string location = verified.headers.at("location");
            CHECK(location.rfind("http://localhost:3000#", 0) == 0);
            CHECK_FALSE(gotrue::testing::UrlParam(location, "access_token").empty());
            CHECK(gotrue::testing::UrlParam(location, "type") == "signup");
            CHECK(gotrue::testing::UrlParam(location, "token_type") == "bearer");
            CHECK(
                server.Database().Scalar(
                    "SELECT email_confirmed_at IS NOT NULL FROM auth.users WHERE email = '" +
                    email + "'"
                ) == "t"
            );
            CHECK(
                server.Database().Scalar(
                    "SELECT raw_user_meta_data->>'email_verified' FROM auth.users WHERE email = '" +
                    email + "'"
                ) == "true"
            );
            CHECK(server.Database().Scalar("SELECT count(*) FROM auth.one_time_tokens") == "0");
            // The link is single-use.
            const auto again = gotrue::testing::Send({"GET", link, "", {}});
            CHECK(
                gotrue::testing::UrlParam(again.headers.at("location"), "error_code") ==
                "otp_expired"
            );
        }
    }

    TEST_CASE("an unconfirmed user signing up again gets the mail again, within MaxFrequency a 429"
    ) {
        AuthServer server(MailMode::kSync, {{"GOTRUE_SMTP_MAX_FREQUENCY", "1m"}});
        const std::string email = UniqueEmail("resignup");
        const auto first = server.Post("/signup", SignupBody(email));
        REQUIRE(first.status == 200);
        const auto again =
            server.Post("/signup", SignupBody(email, "other-password", R"({"x":1})"));
        CHECK(again.status == 429);
        CHECK(ErrorCode(again) == "over_email_send_rate_limit");
        const std::string message = JsonString(again.body, "msg");
        CHECK(message.rfind("For security purposes, you can only request this after ", 0) == 0);
        CHECK(message.find(" seconds.") != std::string::npos);
        server.Database().Execute(
            "UPDATE auth.users SET confirmation_sent_at = now() - interval '2 minutes'"
        );
        const auto later =
            server.Post("/signup", SignupBody(email, "other-password", R"({"x":1})"));
        REQUIRE(later.status == 200);
        CHECK(
            JsonString(later.body, "id") == JsonString(first.body, "id")
        );  // the same, unmodified user
        CHECK(later.body.find("\"x\"") == std::string::npos);
        CHECK(WaitForMail(SharedMaildir(), email, 2).size() == 2);
    }

    TEST_CASE("a confirmed email: a fake user without autoconfirm, 422 with it, never a mail") {
        AuthServer server;
        const std::string email = UniqueEmail("confirmed");
        const std::string id = server.SignUpConfirmed(email);
        const auto fake = server.Post("/signup", SignupBody(email, "secret-123", R"({"n":1})"));
        REQUIRE(fake.status == 200);
        CHECK(JsonString(fake.body, "id") != id);
        CHECK(JsonString(fake.body, "email") == email);
        CHECK(fake.body.find(R"("identities":[])") != std::string::npos);
        CHECK(fake.body.find(R"("user_metadata":{"n":1})") != std::string::npos);
        CHECK(server.Database().Scalar("SELECT count(*) FROM auth.users") == "1");
        CHECK(WaitForMail(SharedMaildir(), email, 2, std::chrono::milliseconds(500)).size() == 1);

        AuthServer autoconfirm(MailMode::kSync, {{"GOTRUE_MAILER_AUTOCONFIRM", "true"}});
        const std::string other = UniqueEmail("autoconfirm");
        const auto session = autoconfirm.Post("/signup", SignupBody(other));
        REQUIRE(session.status == 200);
        CHECK_FALSE(JsonString(session.body, "access_token").empty());
        CHECK(JsonString(session.body, "token_type") == "bearer");
        CHECK(session.body.find("\"email_confirmed_at\"") != std::string::npos);
        CHECK(session.headers.count("sb-auth-user-id") == 1);
        const auto exists = autoconfirm.Post("/signup", SignupBody(other));
        CHECK(exists.status == 422);
        CHECK(ErrorCode(exists) == "user_already_exists");
        CHECK(JsonString(exists.body, "msg") == "User already registered");
        CHECK(WaitForMail(SharedMaildir(), other, 1, std::chrono::milliseconds(500)).empty());
    }

    TEST_CASE("the global email budget refuses with 429 and writes nothing") {
        AuthServer server(MailMode::kSync, {{"GOTRUE_RATE_LIMIT_EMAIL_SENT", "1"}});
        REQUIRE(server.Post("/signup", SignupBody(UniqueEmail("budget"))).status == 200);
        const std::string second = UniqueEmail("budget2");
        const auto refused = server.Post("/signup", SignupBody(second));
        CHECK(refused.status == 429);
        CHECK(JsonString(refused.body, "msg") == "email rate limit exceeded");
        CHECK(
            server.Database().Scalar(
                "SELECT count(*) FROM auth.users WHERE email = '" + second + "'"
            ) == "0"
        );
    }

    TEST_CASE("a relay that is down: sync mode 500 and nothing written, background modes succeed") {
        const std::string dead_port = std::to_string(gotrue::testing::FreePort());
        for (const MailMode mode : kAllMailModes) {
            CAPTURE(ModeName(mode));
            AuthServer server(mode, {{"GOTRUE_SMTP_PORT", dead_port}});
            const std::string email = UniqueEmail("down");
            const auto response = server.Post("/signup", SignupBody(email));
            const std::string count = server.Database().Scalar(
                "SELECT count(*) FROM auth.users WHERE email = '" + email + "'"
            );
            if (mode == MailMode::kSync) {
                CHECK(response.status == 500);
                CHECK(JsonString(response.body, "msg") == "Error sending confirmation email");
                CHECK(count == "0");
            } else {
                CHECK(response.status == 200);
                CHECK(count == "1");
                // The failure is logged with the request id, not lost silently.
                const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
                while (server.Output().find("mail.send") == std::string::npos &&
                       std::chrono::steady_clock::now() < deadline) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                }
                CHECK(
                    server.Output().find("\"outcome\":\"transient_failure\"") != std::string::npos
                );
            }
        }
    }

    TEST_CASE("errors use the 2024 format when auth-js asks for it") {
        AuthServer server;
        const auto response = server.Post(
            "/signup", R"({"email":"x@example.com"})", {"X-Supabase-Api-Version: 2024-01-01"}
        );
        CHECK(response.status == 400);
        CHECK(
            response.body ==
            R"({"code":"validation_failed","message":"Signup requires a valid password"})"
        );
        CHECK(response.headers.at("x-sb-error-code") == "validation_failed");
    }

    TEST_CASE("a relay that takes 2 s: sync and request-scoped responses wait, pool mode does not"
    ) {
        for (const MailMode mode : kAllMailModes) {
            CAPTURE(ModeName(mode));
            gotrue::testing::FaultRelay relay({"--delay", "2"});
            AuthServer server(mode, {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())}});
            const std::string email = UniqueEmail("slow");
            const auto started = std::chrono::steady_clock::now();
            const auto response = server.Post("/signup", SignupBody(email));
            const auto took = std::chrono::steady_clock::now() - started;
            REQUIRE(response.status == 200);
            if (mode == MailMode::kPool) {
                CHECK(took < std::chrono::milliseconds(1500));
            } else {
                CHECK(took >= std::chrono::milliseconds(1900));
            }
            CHECK(WaitForMail(relay.Maildir(), email, 1, std::chrono::seconds(10)).size() == 1);
        }
    }

    TEST_CASE(
        "request-scoped: a response that waits 11 s for its mail is answered 200, not cut off with "
        "Pistache's 408 after its 10 s header timeout"
    ) {
        gotrue::testing::FaultRelay relay({"--delay", "11"});
        AuthServer server(
            MailMode::kRequestScoped,
            {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())},
             {"GOTRUE_API_MAX_REQUEST_DURATION", "30s"}}
        );
        const std::string email = UniqueEmail("long-wait");
        const auto started = std::chrono::steady_clock::now();
        const auto response = server.Post("/signup", SignupBody(email));
        const auto took = std::chrono::steady_clock::now() - started;
        CHECK(response.status == 200);
        CHECK(took >= std::chrono::seconds(11));
        CHECK(WaitForMail(relay.Maildir(), email, 1, std::chrono::seconds(5)).size() == 1);
        // The connection is usable afterwards: the next request is answered.
        CHECK(server.Get("/health").status == 200);
    }

    TEST_CASE(
        "synchronous and request-scoped: 16 concurrent signups on a 1 s relay with 2 handler "
        "threads are all answered after their mail, not one thread at a time"
    ) {
        for (const MailMode mode : {MailMode::kSync, MailMode::kRequestScoped}) {
            CAPTURE(ModeName(mode));
            gotrue::testing::FaultRelay relay({"--delay", "1"});
            // Sign-ups run on the hashing lane: 4 threads per concurrent hash, so 4 here. Threads
            // parked on the mail would take 16 / 4 x 1 s = 4 s.
            AuthServer server(
                mode,
                {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())},
                 {"GOTRUE_API_HANDLER_THREADS", "2"},
                 {"GOTRUE_PASSWORD_HASH_CONCURRENCY", "1"}}
            );

            struct Answer {
                long status = 0;
                std::chrono::steady_clock::duration took{};
                std::size_t mails_at_answer = 0;
            };

            std::vector<std::string> emails;
            std::vector<std::future<Answer>> answers;
            const auto started = std::chrono::steady_clock::now();
            for (int i = 0; i < 16; ++i) {
                emails.push_back(UniqueEmail("parallel"));
                answers.push_back(std::async(
                    std::launch::async,
                    [&server, &relay, email = emails.back()] {
                        const auto begun = std::chrono::steady_clock::now();
                        const auto response = server.Post("/signup", SignupBody(email));
                        Answer answer{response.status, std::chrono::steady_clock::now() - begun, 0};
                        answer.mails_at_answer =
                            WaitForMail(relay.Maildir(), email, 1, std::chrono::milliseconds(0))
                                .size();
                        return answer;
                    }
                ));
            }
            for (auto& future : answers) {
                const Answer answer = future.get();
                CHECK(answer.status == 200);
                CHECK(answer.took >= std::chrono::milliseconds(950));  // the response waited for it
                CHECK(answer.mails_at_answer == 1);                    // and the mail was delivered
            }
            const auto total = std::chrono::steady_clock::now() - started;
            CHECK(total < std::chrono::milliseconds(3000));
            CHECK(relay.Count("data ") == 16);
        }
    }

    TEST_CASE("a relay that refuses twice then accepts: the mail is delivered once after 3 attempts"
    ) {
        gotrue::testing::FaultRelay relay({"--fail-first", "2"});
        AuthServer server(
            MailMode::kRequestScoped,
            {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())}, {"GOTRUE_SMTP_MAX_RETRIES", "3"}}
        );
        const std::string email = UniqueEmail("retry");
        REQUIRE(server.Post("/signup", SignupBody(email)).status == 200);
        CHECK(WaitForMail(relay.Maildir(), email).size() == 1);
        std::size_t attempts = 0;
        for (auto pos = server.Output().find("\"msg\":\"mail.send\""); pos != std::string::npos;
             pos = server.Output().find("\"msg\":\"mail.send\"", pos + 1)) {
            ++attempts;
        }
        CHECK(attempts == 3);
        CHECK(server.Output().find("\"attempt\":3") != std::string::npos);
    }

    TEST_CASE("a relay that rejects the recipient: not retried, sync 500, background logged") {
        for (const MailMode mode : {MailMode::kSync, MailMode::kRequestScoped}) {
            CAPTURE(ModeName(mode));
            gotrue::testing::FaultRelay relay({"--reject-rcpt"});
            AuthServer server(
                mode,
                {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())},
                 {"GOTRUE_SMTP_MAX_RETRIES", "3"}}
            );
            const auto response = server.Post("/signup", SignupBody(UniqueEmail("rejected")));
            CHECK(response.status == (mode == MailMode::kSync ? 500 : 200));
            CHECK(
                relay.Attempts().find("rcpt") == relay.Attempts().rfind("rcpt")
            );  // exactly one attempt
            CHECK(server.Output().find("\"outcome\":\"permanent_failure\"") != std::string::npos);
        }
    }

    TEST_CASE("sequential signups share one SMTP connection, closed with QUIT at shutdown") {
        for (const MailMode mode : kAllMailModes) {
            CAPTURE(ModeName(mode));
            gotrue::testing::FaultRelay relay({});
            AuthServer server(mode, {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())}});
            for (int i = 0; i < 3; ++i) {
                const std::string email = UniqueEmail("reuse");
                REQUIRE(server.Post("/signup", SignupBody(email)).status == 200);
                REQUIRE(WaitForMail(relay.Maildir(), email).size() == 1);
            }
            CHECK(relay.Count("connect ") == 1);
            CHECK(relay.Count("quit ") == 0);
            server.Process().Signal(SIGTERM);
            CHECK(server.Process().WaitExit(std::chrono::seconds(15)) == 0);
            CHECK(relay.Count("quit 1") == 1);
        }
    }

    TEST_CASE("GOTRUE_SMTP_MAX_CONNECTIONS=0: a synchronous signup opens a connection per mail") {
        gotrue::testing::FaultRelay relay({});
        AuthServer server(
            MailMode::kSync,
            {{"GOTRUE_SMTP_PORT", std::to_string(relay.Port())},
             {"GOTRUE_SMTP_MAX_CONNECTIONS", "0"}}
        );
        for (int i = 0; i < 3; ++i) {
            REQUIRE(server.Post("/signup", SignupBody(UniqueEmail("fresh"))).status == 200);
        }
        CHECK(relay.Count("connect ") == 3);
        CHECK(relay.Count("data ") == 3);
    }

    TEST_CASE("a relay restarted between two signups: the second mail still goes, once") {
        const int port = gotrue::testing::FreePort();
        std::optional<gotrue::testing::FaultRelay> relay(
            std::in_place, std::vector<std::string>{}, port
        );
        AuthServer server(MailMode::kSync, {{"GOTRUE_SMTP_PORT", std::to_string(port)}});
        REQUIRE(server.Post("/signup", SignupBody(UniqueEmail("before"))).status == 200);
        relay.reset();
        relay.emplace(std::vector<std::string>{}, port);
        const std::string email = UniqueEmail("after");
        CHECK(server.Post("/signup", SignupBody(email)).status == 200);
        CHECK(WaitForMail(relay->Maildir(), email).size() == 1);
        CHECK(relay->Count("data ") == 1);
        CHECK(server.Output().find("transient_failure") == std::string::npos);
    }
}
